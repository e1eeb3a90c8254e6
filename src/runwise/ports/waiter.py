"""The ChangeWaiter port: sleeping until a watched file may have changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class ChangeWaiter(Protocol):
    """Blocks until something under `paths` changes or `timeout` seconds pass, whichever comes first.

    A waiter may return early without a change (the caller just looks again); it must never return late.
    """

    def wait(self, paths: Sequence[str], timeout: float) -> None: ...

    def close(self) -> None: ...
