"""The Renderer port: domain results to text for people (text) or assistants (markdown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from runwise.domain.budget import Section
from runwise.domain.inspect import History, KeyListing, StatsTable
from runwise.domain.model import RunInfo
from runwise.domain.summary import RunSummary


class Renderer(Protocol):
    """Renders each kind of result; summaries come as prioritised sections so they can be fitted to a budget."""

    format: str

    def summary_sections(self, summary: RunSummary, ref: str) -> list[Section]: ...

    def runs(self, runs: Sequence[RunInfo]) -> str: ...

    def keys(self, listing: KeyListing, ref: str) -> str: ...

    def history(self, history: History) -> str: ...

    def stats(self, table: StatsTable) -> str: ...

    def config(self, info: RunInfo, config: Mapping[str, Any]) -> str: ...
