"""Sections of the analysis engine's answers: every anomaly, stability per key, one-line health."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runwise.adapters.renderers.tabular.base import Tabular
from runwise.domain.analysis import Analysis, Health, LrAnalysis, Stability
from runwise.domain.anomaly import SEVERITY_RANK
from runwise.domain.budget import Section
from runwise.domain.hints import Call, Param, say
from runwise.domain.model import RunInfo
from runwise.domain.numbers import format_number, format_step, format_value
from runwise.domain.roles import Role


class AnalysisSections(Tabular):
    """Mixed into the text and markdown renderers."""

    def anomalies_sections(self, info: RunInfo, analysis: Analysis, step: int | None = None) -> list[Section]:
        """The run and health lines always; then the least severe anomalies go first, then the lr line
        and the recommendations, and as a last resort every anomaly line (a note says how many)."""
        finding = self.prose(analysis.health.finding)
        head = (self.run_line(info, step), f"{self.severity(analysis.health.status)}: {finding}")
        sections = [Section("head", 0, head, required=True, min_items=len(head))]
        drop = self.say(say("drop ", Param("severity")))
        if analysis.anomalies:
            n = len(analysis.anomalies)
            hidden = f"; {analysis.less_severe} less severe: {drop}" if analysis.less_severe else ""
            sections.append(
                Section(
                    "anomalies",
                    1,
                    tuple(self.bullet(self.anomaly(a)) for a in analysis.anomalies),
                    header=f"Anomalies ({n}{hidden}):",
                    required=True,
                    trim_priority=10,  # most severe first, so the trailing lines go before anything else
                    floor=0,
                    more=self._more_anomalies(n, _worth_filtering(analysis)),
                )
            )
        elif analysis.less_severe:
            sections.append(
                self.line("anomalies", f"No anomalies at this severity ({analysis.less_severe} less severe: {drop}).")
            )
        else:
            sections.append(self.line("anomalies", "No anomalies."))
        if analysis.lr is not None:
            sections.append(self.line("lr", self.lr_line(analysis.lr), 3))
        if analysis.recommendations:
            sections.append(
                Section(
                    "recommendations",
                    2,
                    tuple(self.bullet(self.prose(r)) for r in analysis.recommendations),
                    header="Next:",
                    more=self.more("recommendation", say("raise ", Param("token_budget"))),
                )
            )
        return sections

    def _more_anomalies(self, total: int, worst: str | None) -> Callable[[int], str]:
        tip = self.say(say(", or pass ", Param("severity", worst), " for the worst only")) if worst else ""
        budget = self.say(say("raise ", Param("token_budget")))

        def more(n: int) -> str:
            if n == total:
                return f"(all {n:,} anomalies left out to fit: {budget}{tip})"
            return f"+{n:,} more {'anomaly' if n == 1 else 'anomalies'}: {budget}{tip}"

        return more

    def lr_line(self, lr: LrAnalysis) -> str:
        text = (
            f"lr ({self.key(lr.key)}): {lr.shape}, peak {format_value(lr.peak, Role.LR)}"
            f" at step {format_step(lr.peak_step)}, final {format_value(lr.final, Role.LR)}"
        )
        return f"{text}; {self.prose(lr.response)}" if lr.response else text

    def stability_sections(self, info: RunInfo, items: Sequence[Stability]) -> list[Section]:
        rows = [
            [
                self.key(s.key),
                s.label,
                _ratio(s.cv),
                _ratio(s.late_cv),
                format_number(s.late_std) if s.late_std is not None else "—",
                f"{format_number(s.max_std)} ({format_step(s.max_std_step)})" if s.max_std is not None else "—",
                str(s.window),
                _nonfinite(s),
            ]
            for s in items
        ]
        header = [
            "key", "verdict", "CV", "late CV", "late noise (std)", "max rolling std (step)", "window", "non-finite",
        ]  # fmt: skip
        then = say("name fewer ", Param("keys"), ", or raise ", Param("token_budget"))
        return [self.table_section("stability", header, rows, title=self.run_line(info), more=self.more("key", then))]

    def health_sections(self, info: RunInfo, health: Health) -> list[Section]:
        """One line; a finding too long for the budget loses trailing clauses (whole facts), never the first."""
        more = self.say(say("(more: ", Call.of("anomalies"), ")"))
        return [
            Section(
                "health",
                0,
                tuple(self.prose(health.finding).split("; ")),
                header=f"{info.name} · {self.severity(health.status)}:",
                required=True,
                inline=True,
                more=lambda _n: more,
            )
        ]


def _worth_filtering(analysis: Analysis) -> str | None:
    """The worst severity present, when some anomalies are milder (filtering by it would shorten the list)."""
    ranks = sorted({SEVERITY_RANK[a.severity] for a in analysis.anomalies})
    if len(ranks) < 2:
        return None
    return next(name for name, rank in SEVERITY_RANK.items() if rank == ranks[-1])


def _nonfinite(s: Stability) -> str:
    """'1,307 (from 693)' when the series ends non-finite, else the count; the figures left of it cover finite
    points only."""
    count = f"{s.nonfinite:,}"
    return f"{count} (from {format_step(s.broken_at)})" if s.broken_at is not None else count


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"
