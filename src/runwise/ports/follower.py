"""The RunFollower port: reading a growing run one increment at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from runwise.domain.watch import Increment


class RunFollower(Protocol):
    """Follows one run's files from where the previous look stopped.

    Contract: `poll` returns only points added since the previous poll (the first poll returns everything so
    far), reads only bytes it has not read before (`Increment.bytes_read` says how many), stops at the last
    whole record (a half-written line or record is read on a later poll), and never raises for bad data — it
    reports it in `Increment.warnings`. A file that shrank (rewritten, rotated) is read again from its start.

    A RunSource that can follow its runs this way defines `follow(run_id) -> RunFollower`; for the others the
    watch service reloads a run when its fingerprint changes.
    """

    def poll(self) -> Increment: ...

    def paths(self) -> Sequence[str]:
        """The files and folders whose changes may mean new data (for file-system events)."""
        ...
