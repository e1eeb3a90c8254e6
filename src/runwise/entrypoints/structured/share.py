"""Structured results of the telling-others capabilities (CLI only): what was sent to Slack, what was posted on GitHub."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from runwise.entrypoints.structured.inspect import Out, RunRefOut


class NotifyOut(Out):
    """The run whose summary was sent, where to, and the severity it was sent with."""

    run: RunRefOut
    channel: Literal["slack"]
    severity: Literal["info", "warning", "critical"]


class CommentOut(Out):
    """The pull-request comment created or edited in place."""

    action: Literal["created", "updated"]
    repo: str = Field(description="OWNER/NAME")
    pr: int
    url: str
    runs: list[RunRefOut]
