"""The Renderer port: domain results to text for people (text) or assistants (markdown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: importing a renderer must not load every domain module
    from runwise.domain.aggregate import Aggregation
    from runwise.domain.analysis import Analysis, Health, Stability
    from runwise.domain.budget import Section
    from runwise.domain.compare import BestRun, Comparison
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

    def anomalies(self, info: RunInfo, analysis: Analysis, step: int | None = None) -> str: ...

    def stability(self, info: RunInfo, items: Sequence[Stability]) -> str: ...

    def health(self, info: RunInfo, health: Health) -> str: ...

    def comparison_sections(self, cmp: Comparison) -> list[Section]: ...

    def best(self, result: BestRun) -> str: ...

    def query(self, result: Any) -> str: ...  # services.query.QueryResult (a service type: ports sit below services)

    def aggregation(self, agg: Aggregation) -> str: ...
