"""The ReadProgress port: tell a person that a long read is under way (the CLI on a terminal; never the MCP server)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Protocol


class ReadProgress(Protocol):
    """Wraps the reading of one run; an implementation may show a bar while it lasts."""

    def reading(self, label: str, path: str | None) -> AbstractContextManager[object]: ...


class NoProgress:
    """Shows nothing: the default, and what the MCP server and the Python API use."""

    def reading(self, label: str, path: str | None) -> AbstractContextManager[object]:
        return nullcontext()
