"""Sections of the answers over several runs: comparison, best run, query matches, seed aggregation."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from runwise.adapters.renderers.tabular.base import Tabular
from runwise.domain.budget import Section
from runwise.domain.hints import Call, Param, say
from runwise.domain.numbers import format_step, format_value

if TYPE_CHECKING:  # annotations only: a single-run command never loads the comparison modules
    from runwise.domain.aggregate import Aggregation
    from runwise.domain.compare import BestRun, Comparison
    from runwise.domain.compare.comparison import KeyComparison
    from runwise.domain.stats import Estimate

BEST_ROWS = 10  # ranking rows drawn; the rest are counted in a note
_FIXED_COLUMNS = frozenset({"state", "steps"})  # query values shown by the run columns themselves
_VERDICT = {"better": "better", "worse": "worse", "same": "same", "differs": "differs"}


class CompareSections(Tabular):
    """Mixed into the text and markdown renderers."""

    def comparison_sections(self, cmp: Comparison) -> list[Section]:
        labels = [c.label for c in cmp.runs]
        head = "compare " + " vs ".join(self.title(label) for label in labels)
        notes = []
        if cmp.key_filter:
            notes.append("keys matching " + ", ".join(cmp.key_filter))
        if cmp.threshold_pct is not None:
            notes.append(f"differences ≥{cmp.threshold_pct:g}%")
        if notes:
            head += " · " + " · ".join(notes)
        sections = [Section("header", 0, (head,), required=True)]
        rows = [self._key_row(k, labels) for k in cmp.keys]
        header = ["key", *labels] if len(cmp.runs) > 2 else ["key", labels[0], labels[1], "change"]
        if len(cmp.runs) > 2:
            header.append("best")
        if rows:
            top, *body = self.table(header, rows)
            if self.markdown:
                top = top + "\n" + body.pop(0)
            if cmp.grouped:
                body = self._grouped(cmp, body, len(header))
            sections.append(
                Section(
                    "keys",
                    2,
                    tuple(body),
                    header=top,
                    min_items=min(3, len(body)),
                    more=self.more("key", say("narrow with ", Param("key_filter"), " or ", Param("threshold_pct"))),
                )
            )
        else:
            check = say("No keys to compare (check ", Param("key_filter"), " / ", Param("threshold_pct"), ").")
            sections.append(Section("keys", 2, (self.say(check),)))
        if cmp.config_diff is not None:
            if cmp.config_diff.entries:
                items = tuple(
                    f"{e.key}: " + " | ".join(_config_text(v) if p else "—" for v, p in zip(e.values, e.present))
                    for e in cmp.config_diff.entries
                )
                sections.append(
                    Section(
                        "config",
                        1,
                        items,
                        header=f"config differences ({len(items)}; {cmp.config_diff.same} equal):",
                        more=lambda n: f"+{n} more config differences",
                    )
                )
            else:
                sections.append(Section("config", 1, (f"configs are identical ({cmp.config_diff.same} keys)",)))
        return sections

    def _grouped(self, cmp: Comparison, body: list[str], columns: int) -> list[str]:
        """Each group's first row carries the group's header line, so trimming rows never strands a header."""
        out = []
        previous: str | None = None
        for key, row in zip(cmp.keys, body):
            if key.group != previous:
                name = f"{key.group}/" if key.group else "no prefix"
                title = f"| **{name}** |" + " |" * (columns - 1) if self.markdown else f"[{name}]"
                row = f"{title}\n{row}"
                previous = key.group
            out.append(row)
        return out

    def _key_row(self, k: KeyComparison, labels: list[str]) -> list[str]:
        cells = [self.key(k.key)]
        for v in k.values:
            text = format_value(v.value, k.role)
            if v.exact is False and v.step is not None:
                text += f" @{format_step(v.step)}"
            cells.append(text)
        if len(labels) == 2:
            cells.append(_change(k.pct[1], k.verdicts[1]))
        else:
            cells.append(labels[k.best_index] if k.best_index is not None else "—")
        return cells

    def best_sections(self, result: BestRun) -> list[Section]:
        """The winner line always; ranking rows (at most BEST_ROWS), then the skipped runs, as the budget allows."""
        direction = "higher" if result.higher_is_better else "lower"
        how = "best value" if result.mode == "best" else "last value"
        w = result.winner
        winner = (
            f"best {self.key(result.metric)} ({direction} is better, {how}): {self.title(w.info.name)} = "
            f"{format_value(w.value, result.role, percent=result.percent)} at step {format_step(w.step)}"
        )
        rows = [
            [
                str(i + 1),
                r.info.qualified_id,
                format_value(r.value, result.role, percent=result.percent),
                format_step(r.step),
            ]
            for i, r in enumerate(result.ranking[:BEST_ROWS])
        ]
        then = say("narrow with ", Param("where"), ", or raise ", Param("token_budget"))
        sections = [
            self.line("winner", winner),
            self.table_section(
                "ranking",
                ["rank", "run", "value", "step"],
                rows,
                required=False,
                hidden_before=max(0, len(result.ranking) - BEST_ROWS),
                more=self.more("run", then),
            ),
        ]
        if result.skipped:
            skipped = "skipped: " + "; ".join(f"{name} ({why})" for name, why in result.skipped[:5])
            sections.append(self.line("skipped", skipped, 2))
        return sections

    def query_sections(self, result: Any) -> list[Section]:
        """The match count line always, the notes on unknown keys next; match rows as the budget allows."""
        count = f"query {result.query!r}: {result.matched} of {result.scanned} runs match" + (
            f" (showing {len(result.matches)})" if len(result.matches) < result.matched else ""
        )
        sections = [self.line("count", count)]
        if result.matches:
            # state and steps already have their columns: a query reading them shows them once
            names = [name for name, _ in result.matches[0].values if name not in _FIXED_COLUMNS]
            rows = [
                [
                    m.info.qualified_id,
                    m.info.state,
                    format_step(m.info.last_step),
                    *(_cell(v) for name, v in m.values if name not in _FIXED_COLUMNS),
                ]
                for m in result.matches
            ]
            then = say("raise ", Param("limit"), " or ", Param("token_budget"), ", or narrow ", Param("expr"))
            sections.append(
                self.table_section(
                    "matches",
                    ["run", "state", "step", *(self.prose(n) for n in names)],
                    rows,
                    priority=2,
                    hidden_before=result.matched - len(result.matches),
                    more=self.more("match", then),
                )
            )
        notes = []
        if result.unknown_metrics:
            check = say(" (check the key names: ", Call.of("keys"), ")")
            notes.append("no run logs: " + ", ".join(result.unknown_metrics) + self.say(check))
        if result.errors:
            notes.append("unreadable: " + "; ".join(f"{n} ({e})" for n, e in result.errors[:3]))
        notes += [f"hint: {h}" for h in result.hints]
        if notes:
            sections.append(Section("notes", 1, tuple(notes), min_items=len(notes)))
        return sections

    def aggregation_sections(self, agg: Aggregation) -> list[Section]:
        """Groups numbered once in the table; the notes under it refer to a group by its number, not its label."""
        by = f"grouped by {agg.group_by}" if agg.group_by else "runs differing only by seed grouped"
        conf = f"{agg.confidence:.0%} CI"
        if agg.bounds is not None:
            lo, hi = (format_value(b, agg.role) for b in agg.bounds)
            conf += f", clipped to {lo}–{hi}"
        rows = []
        for i, g in enumerate(agg.groups, 1):
            rows.append(
                [
                    str(i),
                    g.label,
                    str(len(g.members)),
                    _estimate(g.final, agg),
                    _estimate(g.best, agg) if agg.higher_is_better is not None else "—",
                ]
            )
        notes = []
        for i, g in enumerate(agg.groups, 1):
            t = g.trailing
            if g.n == 1 and t is not None and t.low is not None and t.high is not None:
                notes.append(
                    f"#{i} single run: final {format_value(t.last, agg.role)}; trailing mean "
                    f"{format_value(t.window_mean, agg.role)} [{format_value(t.low, agg.role)}, "
                    f"{format_value(t.high, agg.role)}] over steps {format_step(t.from_step)}–{format_step(t.to_step)}"
                )
            if g.notes:
                notes.append(f"#{i} no final value: " + "; ".join(g.notes))
        then = say("narrow with ", Param("where"), ", or raise ", Param("token_budget"))
        sections = [
            self.table_section(
                "groups",
                ["#", "group", "runs", "final", "best"],
                rows,
                title=f"{self.key(agg.metric)}: {by}; mean ± std [{conf}]",
                more=self.more("group", then),
            )
        ]
        if notes:
            sections.append(Section("notes", 2, tuple(notes[:8])))
        return sections


def _estimate(e: Estimate | None, agg: Aggregation) -> str:
    if e is None:
        return "—"
    text = format_value(e.mean, agg.role)
    if e.std is not None and e.n > 1:
        text += f" ± {format_value(e.std, agg.role)}"
    if e.low is not None and e.high is not None:
        text += f" [{format_value(e.low, agg.role)}, {format_value(e.high, agg.role)}]"
    return text


def _change(pct: float | None, verdict: str | None) -> str:
    if pct is None:
        return verdict or "—"
    text = "±inf%" if math.isinf(pct) else f"{pct:+.1f}%"
    return f"{text} {_VERDICT.get(verdict or '', '')}".strip()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return format_value(value)
    if value is None:
        return "—"
    return str(value)


def _config_text(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"
