"""The Notifier port: telling someone outside the terminal what happened to a run."""

from __future__ import annotations

from typing import Protocol

from runwise.domain.watch import Notice


class NotifyFailed(Exception):
    """A notification could not be delivered; the message says why in one line."""


class Notifier(Protocol):
    """Delivers one notice. Raises NotifyFailed (never anything else) when it cannot; the caller goes on."""

    name: str

    def send(self, notice: Notice) -> None: ...
