"""Drawing primitives and the single-run views shared by the text and markdown renderers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runwise.domain.anomaly import Anomaly
from runwise.domain.budget import Section
from runwise.domain.inspect import History, KeyInfo, KeyListing, StatsTable
from runwise.domain.model import RunInfo
from runwise.domain.numbers import format_duration, format_step, format_value
from runwise.domain.roles import Role
from runwise.domain.summary import MetricDigest, RunSummary

_ANSI = {"critical": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m", "bold": "\x1b[1m", "reset": "\x1b[0m"}


class Tabular:
    format = "text"
    markdown = False

    def __init__(self, *, color: bool = False, tool_hints: bool = False) -> None:
        self.color = color and not self.markdown
        self.tool_hints = tool_hints  # point at MCP tools instead of CLI commands in "+N more" notes

    def hint(self, command: str, tool: str) -> str:
        """Where to look next: a CLI command for people, an MCP tool call for assistants."""
        return tool if self.tool_hints else command

    # drawing primitives ----------------------------------------------------------------------
    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
        """Rows of a table; each row is one whole fact for budgeting."""
        if self.markdown:
            lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            return lines
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]

        def line(cells: Sequence[str]) -> str:
            padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1])] + [cells[-1]]
            return "  ".join(padded).rstrip()

        return [line(header)] + [line(r) for r in rows]

    def title(self, text: str) -> str:
        if self.markdown:
            return f"**{text}**"
        return f"{_ANSI['bold']}{text}{_ANSI['reset']}" if self.color else text

    def severity(self, level: str) -> str:
        if self.color:
            return f"{_ANSI[level]}{level}{_ANSI['reset']}"
        return level

    def bullet(self, text: str) -> str:
        return f"- {text}"

    # run header ------------------------------------------------------------------------------
    def run_line(self, info: RunInfo, step: int | None = None) -> str:
        parts = [
            self.title(info.name),
            info.qualified_id if info.qualified_id != f"{info.source}:{info.name}" else info.source,
        ]
        parts.append(info.state)
        if step is not None:
            parts.append(f"as of step {format_step(step)}")
        elif info.last_step is not None:
            parts.append(f"step {format_step(info.last_step)}")
        if info.runtime_s:
            parts.append(format_duration(info.runtime_s))
        if info.project:
            parts.append(f"project {info.project}")
        return " · ".join(parts)

    # summary ---------------------------------------------------------------------------------
    def summary_sections(self, summary: RunSummary, ref: str) -> list[Section]:
        sections = [Section("header", 0, (self.run_line(summary.run, summary.step),), required=True)]
        if summary.headline:
            sections.append(Section("headline", 1, (summary.headline,)))
        if summary.metrics:
            rows = [self._digest_row(d) for d in summary.metrics]
            head, *body = self.table(["metric", "last", "best (step)", "trend"], rows)
            if self.markdown:
                head = head + "\n" + body.pop(0)
            more_total = summary.total_metrics - len(summary.metrics)
            sections.append(
                Section(
                    "metrics",
                    3,
                    tuple(body),
                    trim_priority=4.5,  # rows beyond the first three go before the recommendations
                    header=head,
                    min_items=min(3, len(body)),
                    hidden_before=more_total,
                    more=lambda n: f"+{n} more metrics: " + self.hint(f"runwise keys {ref}", f'list_keys(run="{ref}")'),
                )
            )
        if summary.anomalies:
            sections.append(
                Section(
                    "anomalies",
                    2,
                    tuple(self.bullet(self.anomaly(a, said=a.message in summary.headline)) for a in summary.anomalies),
                    header=f"Anomalies ({len(summary.anomalies)}):",
                    min_items=min(2, len(summary.anomalies)),
                    trim_priority=3.5,  # the two most severe stay; the rest go before the metrics table
                    more=lambda n: (
                        f"+{n} more: " + self.hint(f"runwise anomalies {ref}", f'detect_anomalies(run="{ref}")')
                    ),
                )
            )
        if summary.recommendations:
            sections.append(
                Section(
                    "recommendations",
                    4,
                    tuple(self.bullet(r) for r in summary.recommendations),
                    header="Next:",
                    trim_priority=4.2,
                )
            )
        if summary.warnings:
            # damage found while reading is a fact about the data: it outranks the metrics table
            sections.append(
                Section(
                    "warnings",
                    2,
                    tuple(self.bullet(w) for w in summary.warnings),
                    header="Read warnings:",
                    trim_priority=4.6,
                    more=lambda n: f"+{n} more read warnings",
                )
            )
        return sections

    def _digest_row(self, d: MetricDigest) -> list[str]:
        last = format_value(d.last, d.role, percent=d.percent)
        if d.best is not None and d.best_step is not None:
            best = f"{format_value(d.best, d.role, percent=d.percent)} ({format_step(d.best_step)})"
        else:
            best = "—"
        trend = f"{d.trend} {d.sparkline}".strip()
        if d.nonfinite:
            trend += f" ({d.nonfinite:,} non-finite)"
        return [d.key, last, best, trend]

    def anomaly(self, a: Anomaly, *, said: bool = False) -> str:
        """One episode; `said` when the headline already quotes its message (no need to spend it twice)."""
        steps = (
            format_step(a.start_step)
            if a.start_step == a.end_step
            else f"{format_step(a.start_step)}–{format_step(a.end_step)}"
        )
        detail = f"{a.metric} (in the headline)" if said else a.message
        return f"{self.severity(a.severity)} {a.kind} @{steps}: {detail}"

    # listings --------------------------------------------------------------------------------
    def runs(self, runs: Sequence[RunInfo]) -> str:
        if not runs:
            return "No runs found. Point --dir (or RUNWISE_DIR) at a folder with training logs."
        rows = [
            [
                r.qualified_id,
                r.name,
                r.state,
                format_step(r.last_step),
                format_duration(r.runtime_s),
            ]
            for r in runs
        ]
        return "\n".join(self.table(["run", "name", "state", "step", "runtime"], rows))

    def keys(self, listing: KeyListing, ref: str) -> str:
        lines = [self.run_line(listing.run) + f" · {listing.total} keys"]
        for group in listing.groups:
            merged: dict[tuple[int, int | None, int | None], list[KeyInfo]] = {}
            for k in group.keys:
                merged.setdefault((k.count, k.first_step, k.last_step), []).append(k)
            for (count, first, last), members in merged.items():
                names = ", ".join(
                    _short(k.key, group.prefix) + (f" ({k.nonfinite:,} non-finite)" if k.nonfinite else "")
                    for k in members
                )
                span = f"{count:,} pts, steps {format_step(first)}–{format_step(last)}" if count else "no points"
                label = group.prefix or ""
                lines.append(f"{label}{{{names}}}: {span}" if label and len(members) > 1 else f"{label}{names}: {span}")
        if listing.non_series:
            lines.append("not series: " + ", ".join(listing.non_series))
        return "\n".join(lines)

    def history(self, history: History) -> str:
        lines = [self.run_line(history.run)]
        if history.aligned is not None:
            return "\n".join(lines + self._aligned(history))
        for item in history.items:
            s = item.series
            shown = len(s)
            note = f"{item.total_points:,} pts" + (
                f", {shown} shown (extremes kept)" if shown < item.total_points else ""
            )
            lines.append(f"{s.key} ({note}):")
            pairs = [
                f"{int(st)}:{format_value(float(v), item.role, percent=item.percent)}"
                for st, v in zip(s.steps, s.values)
            ]
            lines.append(" ".join(pairs) if pairs else "(no points in range)")
        return "\n".join(lines)

    def _aligned(self, history: History) -> list[str]:
        table = history.aligned
        assert table is not None
        roles = {i.series.key: (i.role, i.percent) for i in history.items}
        totals = ", ".join(f"{i.series.key} {i.total_points:,} pts" for i in history.items)
        rows = []
        for row, step in enumerate(table.steps):
            cells = [str(int(step))]
            for key, values in table.columns:
                role, percent = roles.get(key, (Role.OTHER, False))
                cells.append(format_value(float(values[row]), role, percent=percent))
            rows.append(cells)
        note = f"aligned on {table.grid_key}'s steps ({totals}); other keys at their last logged step at or before"
        return [note, *self.table(["step", *(k for k, _ in table.columns)], rows)]

    def stats(self, table: StatsTable) -> str:
        rows = []
        for st in table.rows:
            role = table.roles.get(st.key, Role.OTHER)
            best_value, best_step = table.best.get(st.key, (None, None))
            rows.append(
                [
                    st.key,
                    f"{st.count:,}",
                    f"{st.nonfinite:,}"
                    if st.first_nonfinite_step is None
                    else f"{st.nonfinite:,} (from {format_step(st.first_nonfinite_step)})",
                    _with_step(format_value(st.min, role), st.min_step),
                    _with_step(format_value(st.max, role), st.max_step),
                    format_value(st.mean, role),
                    format_value(st.last, role),
                    _with_step(format_value(best_value, role), best_step) if best_value is not None else "—",
                ]
            )
        header = ["key", "points", "non-finite", "min (step)", "max (step)", "mean", "last", "best (step)"]
        return "\n".join([self.run_line(table.run), *self.table(header, rows)])

    def config(self, info: RunInfo, config: Mapping[str, Any]) -> str:
        flat = flatten_config(config)
        if not flat:
            return self.run_line(info) + "\nNo config recorded for this run."
        rows = [[k, _short_value(v)] for k, v in flat.items()]
        return "\n".join([self.run_line(info), *self.table(["key", "value"], rows)])


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config flattened to dotted keys."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_config(value, f"{full}."))
        else:
            out[full] = value
    return out


def _short(key: str, prefix: str) -> str:
    return key[len(prefix) :] if prefix and key.startswith(prefix) else key


def _short_value(value: Any, limit: int = 80) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _with_step(value: str, step: int | None) -> str:
    return value if step is None else f"{value} ({format_step(step)})"
