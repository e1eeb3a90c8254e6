"""Drawing primitives and the single-run sections shared by the text and markdown renderers.

Every view returns prioritised sections (domain.budget.Section): services.fitting fits them to a
budget. Lower priority numbers stay longer; `required` sections are never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runwise.domain.anomaly import Anomaly
from runwise.domain.budget import Section
from runwise.domain.git_refs import git_words
from runwise.domain.hints import PLAIN, Call, Param, Phrase, Setting, Wording, say
from runwise.domain.inspect import History, KeyListing, StatsTable, same_span
from runwise.domain.labels import NO_LABELS, KeyLabels
from runwise.domain.model import RunInfo
from runwise.domain.numbers import format_duration, format_step, format_value
from runwise.domain.roles import Role
from runwise.domain.summary import MetricDigest, RunSummary

_ANSI = {"critical": "\x1b[31m", "warning": "\x1b[33m", "info": "\x1b[36m", "bold": "\x1b[1m", "reset": "\x1b[0m"}


class Tabular:
    format = "text"
    markdown = False

    def __init__(self, *, color: bool = False, wording: Wording = PLAIN, labels: KeyLabels = NO_LABELS) -> None:
        self.color = color and not self.markdown
        self.wording = wording  # how "what to pass / call next" is spelled: CLI flags, MCP arguments...
        # the schema's display names: every metric key a reader sees goes through `key` or `prose`
        self.labels = labels

    def with_wording(self, wording: Wording) -> Any:
        """The same renderer, pointing at parameters and capabilities in an interface's words."""
        return type(self)(color=self.color, wording=wording, labels=self.labels)

    def key(self, key: str) -> str:
        """A metric key as the reader knows it: its display name, else the key as logged."""
        return self.labels(key)

    def prose(self, text: str) -> str:
        """A sentence from the analysis with the keys in it shown by their display names."""
        return self.labels.prose(text)

    def say(self, phrase: Phrase | str) -> str:
        return phrase.words(self.wording) if isinstance(phrase, Phrase) else phrase

    def more(self, noun: str, then: Phrase | str) -> Callable[[int], str]:
        """The note for left-out items: '+3 more runs: <then>'."""
        return lambda n: f"+{n:,} more {noun if n == 1 else _plural(noun)}: {self.say(then)}"

    # drawing primitives ----------------------------------------------------------------------
    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
        """Rows of a table; each row is one whole fact for budgeting.

        Cells come from file and key names a log chose: control characters are escaped (a newline
        in a file name split `list` rows) and over-long names are cut (a 5,000-character key
        padded a 400-token summary to 25 KB).
        """
        rows = [[safe_cell(str(c)) for c in row] for row in rows]
        if self.markdown:
            lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
            return lines
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]

        def line(cells: Sequence[str]) -> str:
            padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1])] + [cells[-1]]
            return "  ".join(padded).rstrip()

        return [line(header)] + [line(r) for r in rows]

    def table_section(
        self, name: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None, **kw: Any
    ) -> Section:
        """A table as a section: the title and header row stay together, each row is one item."""
        top, *body = self.table(header, rows)
        if self.markdown:
            top = top + "\n" + body.pop(0)
        if title:
            top = f"{title}\n{top}"
        kw.setdefault("priority", 1)
        kw.setdefault("required", True)
        return Section(name, items=tuple(body), header=top, **kw)

    def line(self, name: str, text: str, priority: int = 0, **kw: Any) -> Section:
        """One line that stays (required) unless said otherwise."""
        kw.setdefault("required", priority == 0)
        return Section(name, priority, (text,), **kw)

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
            self.title(safe_cell(info.name)),
            safe_cell(info.qualified_id) if info.qualified_id != f"{info.source}:{info.name}" else info.source,
        ]
        parts.append(info.state)
        if step is not None:
            parts.append(f"as of step {format_step(step)}")
        elif info.last_step is not None:
            parts.append(f"step {format_step(info.last_step)}")
        if info.runtime_s:
            parts.append(format_duration(info.runtime_s))
        if info.project:
            parts.append(f"project {safe_cell(info.project)}")
        return " · ".join(parts)

    # summary ---------------------------------------------------------------------------------
    def summary_sections(self, summary: RunSummary, ref: str) -> list[Section]:
        """Budget priorities: the run line and the key metrics' first three rows (last, best) always stay.

        When tokens are short, these go first, in this order: extra read warnings, metric rows beyond
        three, extra recommendations, the recommendations, anomalies beyond the most severe, the
        anomalies, the read warnings, the headline. Only then do the first three metric rows give way
        (down to one). A section dropped on the way comes back, trimmed, if it fits in what is left.
        """
        head = self.run_line(summary.run, summary.step)
        code = git_words(summary.run.git)
        sections = [Section("header", 0, (head + (f" · {code}" if code else ""),), required=True)]
        if summary.headline:
            sections.append(Section("headline", 1, (self.prose(summary.headline),)))
        if summary.metrics:
            rows = [self._digest_row(d) for d in summary.metrics]
            more_total = summary.total_metrics - len(summary.metrics)
            sections.append(
                self.table_section(
                    "metrics",
                    ["metric", "last", "best (step)", "trend"],
                    rows,
                    priority=1,
                    trim_priority=4.5,  # rows beyond the first three go before the recommendations
                    min_items=min(3, len(rows)),
                    floor=1,
                    hidden_before=more_total,
                    more=self.more("metric", say(Call.of("keys", run=ref))),
                )
            )
        if summary.anomalies:
            sections.append(
                Section(
                    "anomalies",
                    2,
                    tuple(self.bullet(self.anomaly(a, said=a.message in summary.headline)) for a in summary.anomalies),
                    header=f"Anomalies ({len(summary.anomalies)}):",
                    min_items=1,
                    trim_priority=3.5,  # the most severe stays; the rest go before the first metric rows do
                    more=lambda n: f"+{n} more: " + self.say(say(Call.of("anomalies", run=ref))),
                )
            )
        if summary.recommendations:
            sections.append(
                Section(
                    "recommendations",
                    4,
                    tuple(self.bullet(self.prose(r)) for r in summary.recommendations),
                    header="Next:",
                    trim_priority=4.2,
                )
            )
        if summary.warnings:
            # damage found while reading is a fact about the data: it outranks the anomalies beyond two
            sections.append(
                Section(
                    "warnings",
                    2,
                    tuple(self.bullet(self.prose(w)) for w in summary.warnings),
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
        return [self.key(d.key), last, best, trend]

    def anomaly(self, a: Anomaly, *, said: bool = False) -> str:
        """One episode; `said` when the headline already quotes its message (no need to spend it twice)."""
        steps = (
            format_step(a.start_step)
            if a.start_step == a.end_step
            else f"{format_step(a.start_step)}–{format_step(a.end_step)}"
        )
        detail = f"{self.key(a.metric)} (in the headline)" if said else self.prose(a.message)
        return f"{self.severity(a.severity)} {a.kind} @{steps}: {detail}"

    # listings --------------------------------------------------------------------------------
    def runs_sections(
        self,
        runs: Sequence[RunInfo],
        *,
        total: int | None = None,
        filters: Mapping[str, str] | None = None,
        where: str | None = None,
    ) -> list[Section]:
        """The run table (required), its rows trimmed from the oldest; `total` counts runs beyond the limit."""
        place = f" under {where}" if where else ""
        if not runs and filters:
            asked = ", ".join(f"{k}={v!r}" for k, v in filters.items())
            text = say(f"No runs with {asked}{place}; ", Call.of("list"), " without filters lists every run.")
            return [self.line("runs", self.say(text))]
        if not runs:
            text = say(f"No runs found{place}. Runwise reads training logs there; ", Setting("logs"), ".")
            return [self.line("runs", self.say(text))]
        rows = [[r.qualified_id, r.name, r.state, format_step(r.last_step), format_duration(r.runtime_s)] for r in runs]
        then = say("raise ", Param("limit"), " or ", Param("token_budget"), ", or filter by ", Param("project"))
        then += say(" or ", Param("state"))
        return [
            self.table_section(
                "runs",
                ["run", "name", "state", "step", "runtime"],
                rows,
                hidden_before=(total or len(runs)) - len(runs),
                more=self.more("run", then),
            )
        ]

    def keys_sections(self, listing: KeyListing, ref: str) -> list[Section]:
        """The run line, then per prefix group one line per set of keys sharing counts and steps.

        Over budget, every group keeps its first line and says how many it left out and how to get them
        (the group's prefix); the later groups give up lines first.
        """
        sections = [self.line("run", self.run_line(listing.run) + f" · {listing.total} keys")]
        for group in listing.groups:
            lines = []
            for (count, first, last), members in same_span(group.keys).items():
                names = ", ".join(
                    _short(k.key, group.prefix)
                    + (f" [{self.key(k.key)}]" if self.key(k.key) != k.key else "")
                    + (f" ({k.nonfinite:,} non-finite)" if k.nonfinite else "")
                    for k in members
                )
                span = f"{count:,} pts, steps {format_step(first)}–{format_step(last)}" if count else "no points"
                label = group.prefix or ""
                lines.append(f"{label}{{{names}}}: {span}" if label and len(members) > 1 else f"{label}{names}: {span}")
            then = say("pass ", Param("prefix", group.prefix)) if group.prefix else say("raise ", Param("token_budget"))
            noun = f"{group.prefix} key line" if group.prefix else "key line"
            sections.append(
                Section(f"keys:{group.prefix}", 1, tuple(lines), required=True, floor=0, more=self.more(noun, then))
            )
        if listing.non_series:
            sections.append(self.line("non_series", "not series: " + ", ".join(listing.non_series), 2))
        return sections

    def history_sections(
        self, history: History, *, asked: int | None = None, budget: int | None = None
    ) -> list[Section]:
        """The run line and every key; a history too long for its budget is re-read with fewer samples."""
        sections = [self.line("run", self.run_line(history.run))]
        if history.aligned is not None:
            sections.append(Section("series", 0, tuple(self._aligned(history)), required=True, min_items=10**9))
        else:
            items = []
            for item in history.items:
                s = item.series
                shown = len(s)
                note = f"{item.total_points:,} pts" + (
                    f", {shown} shown (extremes kept)" if shown < item.total_points else ""
                )
                pairs = [
                    f"{int(st)}:{format_value(float(v), item.role, percent=item.percent)}"
                    for st, v in zip(s.steps, s.values)
                ]
                items.append(f"{self.key(s.key)} ({note}):\n" + (" ".join(pairs) if pairs else "(no points in range)"))
            sections.append(Section("series", 0, tuple(items), required=True, min_items=len(items)))
        if asked is not None and history.samples < asked:
            tip = say(
                f"(samples reduced from {asked} to {history.samples} per key to fit {budget} tokens; for more detail "
                "narrow ",
                Param("from_step"),
                "/",
                Param("to_step"),
                ", ask for fewer keys, or raise ",
                Param("token_budget"),
                ")",
            )
            sections.append(self.line("reduced", self.say(tip)))
        return sections

    def _aligned(self, history: History) -> list[str]:
        table = history.aligned
        assert table is not None
        roles = {i.series.key: (i.role, i.percent) for i in history.items}
        totals = ", ".join(f"{self.key(i.series.key)} {i.total_points:,} pts" for i in history.items)
        rows = []
        for row, step in enumerate(table.steps):
            cells = [str(int(step))]
            for key, values in table.columns:
                role, percent = roles.get(key, (Role.OTHER, False))
                cells.append(format_value(float(values[row]), role, percent=percent))
            rows.append(cells)
        note = (
            f"aligned on {self.key(table.grid_key)}'s steps ({totals}); other keys at their last logged step at or"
            " before"
        )
        return [note, *self.table(["step", *(self.key(k) for k, _ in table.columns)], rows)]

    def stats_sections(self, table: StatsTable) -> list[Section]:
        """The statistics table; rows are trimmed from the end (the service orders losses and validation first)."""
        rows = []
        for st in table.rows:
            role = table.roles.get(st.key, Role.OTHER)
            best_value, best_step = table.best.get(st.key, (None, None))
            rows.append(
                [
                    self.key(st.key),
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
        then = say("name them in ", Param("keys"), ", or raise ", Param("token_budget"))
        return [self.table_section("stats", header, rows, title=self.run_line(table.run), more=self.more("key", then))]

    def config_sections(self, info: RunInfo, config: Mapping[str, Any]) -> list[Section]:
        flat = flatten_config(config)
        if not flat:
            return [self.line("run", self.run_line(info)), self.line("config", "No config recorded for this run.")]
        rows = [[k, _short_value(v)] for k, v in flat.items()]
        then = say("raise ", Param("token_budget"), " to see them")
        return [
            self.table_section(
                "config", ["key", "value"], rows, title=self.run_line(info), more=self.more("config entry", then)
            )
        ]


def _plural(noun: str) -> str:
    if noun.endswith("y") and not noun.endswith("ey"):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "ch")) else "s")


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


MAX_CELL_CHARS = 80
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def safe_cell(text: str) -> str:
    """A name as one printable line: control characters escaped, lone surrogates (undecodable file
    names) shown as \\x escapes, and the middle of an over-long name replaced by `…`."""
    if text.isprintable() and len(text) <= MAX_CELL_CHARS:
        return text
    text = text.translate(_CONTROL)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if len(text) > MAX_CELL_CHARS:
        keep = (MAX_CELL_CHARS - 1) // 2
        text = text[:keep] + "…" + text[-keep:]
    return text
