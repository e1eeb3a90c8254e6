"""What discovery found but could not turn into runs: said in one line, never silently dropped."""

from __future__ import annotations

from typing import Literal

import attrs

from runwise.domain.shared_repr import fields_repr

NoticeKind = Literal["unreadable_store", "skipped"]


@attrs.frozen
class Notice:
    """One thing discovery passed over.

    `unreadable_store`: data of a tracker no configured source can read (not supported yet, or its
    optional package is missing). When nothing readable was found either, this is the answer
    (an error, exit 2), not "no runs". `skipped`: files or folders left out (unreadable, too deep);
    a warning beside the runs that were found.
    """

    __repr__ = fields_repr

    message: str
    hint: str | None = None
    kind: NoticeKind = "skipped"
    tracker: str | None = None  # e.g. "mlflow", "aim": a source for it makes the notice moot

    def line(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


def unreadable_store(tracker: str, label: str, path: str, reason: str, hint: str | None = None) -> Notice:
    """`found MLflow data (mlflow.db) that Runwise cannot read: not supported yet`."""
    return Notice(f"found {label} data ({path}) that Runwise cannot read: {reason}", hint, "unreadable_store", tracker)
