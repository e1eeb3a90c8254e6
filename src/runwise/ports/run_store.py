"""The RunStore port: parsed runs kept between processes, so a second call does not parse the log again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from runwise.domain.model import Run
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class StoredRun:
    """A parsed run as it was stored, with what it was parsed from.

    `identity` is the source's fingerprint of the files at the time they were read (as text); `written_at` is
    when the entry was written (unix seconds), so an entry written while its files were still changing can be
    told apart; `resume` is the source's own note for reading only what was appended since (None when the
    source cannot resume).
    """

    __repr__ = fields_repr

    run: Run
    identity: str
    written_at: float
    resume: Mapping[str, Any] | None = None


@attrs.frozen
class StoreStats:
    """What a store holds, for `runwise cache info`."""

    __repr__ = fields_repr

    location: str
    entries: int  # parsed runs
    results: int  # results derived from them (analyses, summaries)
    bytes: int
    max_bytes: int
    format_version: int


class RunStore(Protocol):
    """Where parsed runs are kept. Never raises for a missing, stale or damaged entry: that is a miss."""

    def get(self, key: str) -> StoredRun | None:
        """The entry stored under `key`, or None (missing, unreadable, damaged or of another format)."""
        ...

    def put(self, key: str, entry: StoredRun) -> None:
        """Store an entry (replacing any under `key`); a run that cannot be stored is silently not stored."""
        ...

    def get_result(self, key: str) -> object | None:
        """A result derived from a stored run (an analysis), or None; same rules as `get`."""
        ...

    def put_result(self, key: str, value: object) -> None:
        """Keep a derived result; one that cannot be stored is silently not stored."""
        ...

    def stats(self) -> StoreStats: ...

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        ...
