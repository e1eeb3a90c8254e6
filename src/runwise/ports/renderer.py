"""The Renderer port: domain results drawn as prioritised sections, for people (text) or assistants (markdown).

Every method returns sections (domain.budget.Section) that services.fitting fits to a token budget;
the text of an answer is always the fitted sections, never a re-parsed rendering.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: importing a renderer must not load every domain module
    from runwise.domain.aggregate import Aggregation
    from runwise.domain.analysis import Analysis, Health, Stability
    from runwise.domain.budget import Section
    from runwise.domain.compare import BestRun, Comparison
    from runwise.domain.cost import SweepCost
    from runwise.domain.hints import Wording
    from runwise.domain.inspect import History, KeyListing, StatsTable
    from runwise.domain.model import RunInfo
    from runwise.domain.summary import RunSummary
    from runwise.domain.watch import WatchEvent


class Renderer(Protocol):
    """Draws each kind of result as sections; `with_wording` points its notes at an interface's words."""

    format: str

    def with_wording(self, wording: Wording) -> Renderer: ...

    def summary_sections(self, summary: RunSummary, ref: str) -> list[Section]: ...

    def runs_sections(
        self,
        runs: Sequence[RunInfo],
        *,
        total: int | None = None,
        filters: Mapping[str, str] | None = None,
        where: str | None = None,
    ) -> list[Section]: ...

    def keys_sections(self, listing: KeyListing, ref: str) -> list[Section]: ...

    def history_sections(
        self, history: History, *, asked: int | None = None, budget: int | None = None
    ) -> list[Section]: ...

    def stats_sections(self, table: StatsTable) -> list[Section]: ...

    def config_sections(self, info: RunInfo, config: Mapping[str, Any]) -> list[Section]: ...

    def anomalies_sections(self, info: RunInfo, analysis: Analysis, step: int | None = None) -> list[Section]: ...

    def stability_sections(self, info: RunInfo, items: Sequence[Stability]) -> list[Section]: ...

    def health_sections(self, info: RunInfo, health: Health) -> list[Section]: ...

    def comparison_sections(self, cmp: Comparison) -> list[Section]: ...

    def best_sections(self, result: BestRun) -> list[Section]: ...

    def query_sections(self, result: Any) -> list[Section]: ...  # services.query.QueryResult (ports sit below services)

    def aggregation_sections(self, agg: Aggregation) -> list[Section]: ...

    def events_sections(self, page: Any) -> list[Section]: ...  # services.watch.EventPage

    def event_line(self, event: WatchEvent) -> str: ...

    def cost_sections(self, result: SweepCost, as_of: str) -> list[Section]: ...
