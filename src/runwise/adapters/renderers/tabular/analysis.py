"""Views of the analysis engine: every anomaly, stability per key, one-line health."""

from __future__ import annotations

from collections.abc import Sequence

from runwise.adapters.renderers.tabular.base import Tabular
from runwise.domain.analysis import Analysis, Health, LrAnalysis, Stability
from runwise.domain.model import RunInfo
from runwise.domain.numbers import format_number, format_step, format_value
from runwise.domain.roles import Role


class AnalysisViews(Tabular):
    """Mixed into the text and markdown renderers."""

    def anomalies(self, info: RunInfo, analysis: Analysis, step: int | None = None) -> str:
        lines = [self.run_line(info, step), f"{self.severity(analysis.health.status)}: {analysis.health.finding}"]
        drop = self.hint("drop --severity", "omit severity")
        if analysis.anomalies:
            hidden = f"; {analysis.less_severe} less severe: {drop}" if analysis.less_severe else ""
            lines.append(f"Anomalies ({len(analysis.anomalies)}{hidden}):")
            lines += [self.bullet(self.anomaly(a)) for a in analysis.anomalies]
        elif analysis.less_severe:
            lines.append(f"No anomalies at this severity ({analysis.less_severe} less severe: {drop}).")
        else:
            lines.append("No anomalies.")
        if analysis.lr is not None:
            lines.append(self.lr_line(analysis.lr))
        if analysis.recommendations:
            lines.append("Next:")
            lines += [self.bullet(r) for r in analysis.recommendations]
        return "\n".join(lines)

    def lr_line(self, lr: LrAnalysis) -> str:
        text = (
            f"lr ({lr.key}): {lr.shape}, peak {format_value(lr.peak, Role.LR)}"
            f" at step {format_step(lr.peak_step)}, final {format_value(lr.final, Role.LR)}"
        )
        return f"{text}; {lr.response}" if lr.response else text

    def stability(self, info: RunInfo, items: Sequence[Stability]) -> str:
        rows = [
            [
                s.key,
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
        return "\n".join([self.run_line(info), *self.table(header, rows)])

    def health(self, info: RunInfo, health: Health) -> str:
        return f"{info.name} · {self.severity(health.status)}: {health.finding}"


def _nonfinite(s: Stability) -> str:
    """'1,307 (from 693)' when the series ends non-finite, else the count; the figures left of it cover finite
    points only."""
    count = f"{s.nonfinite:,}"
    return f"{count} (from {format_step(s.broken_at)})" if s.broken_at is not None else count


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"
