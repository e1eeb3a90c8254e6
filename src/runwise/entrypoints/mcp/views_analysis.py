"""Texts of the analysis tools fitted to their budgets: anomalies, stability, health.

The renderer draws the complete answer; these cut it into whole facts (a line each) and keep the
most important ones: the run and its health always, then the most severe anomalies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from runwise.domain.analysis import Analysis, Health, Stability
from runwise.domain.anomaly import SEVERITY_RANK
from runwise.domain.budget import Section, fit, render_sections
from runwise.domain.model import RunInfo
from runwise.entrypoints.mcp.fitting import fit_table, plural
from runwise.entrypoints.mcp.views import MARKDOWN_TABLE_HEAD
from runwise.ports.renderer import Renderer
from runwise.ports.tokens import TokenCounter

HEALTH_BUDGET = 80  # the design's promise for health_check
HEAD_LINES = 2  # run line, health line


def anomalies_text(
    info: RunInfo,
    analysis: Analysis,
    step: int | None,
    *,
    renderer: Renderer,
    counter: TokenCounter,
    budget: int,
) -> str:
    """Every anomaly when it fits; else the trailing (least severe) anomalies go first, then the lr
    line and the recommendations, and at the very last every anomaly line. The run and health lines stay."""
    full: str = renderer.anomalies(info, analysis, step)
    if counter.count(full) <= budget:
        return full
    sections = _anomaly_sections(full, analysis)
    if sections is None:  # not the layout we know: cut whole lines from the end instead
        return fit_table(
            full, head_lines=HEAD_LINES, counter=counter, budget=budget, more=_more_anomalies_note("lines", 0)
        )[0]
    for floor in (1, 0):  # first keep the most severe anomaly; give it up only when nothing else fits
        kept, tokens = fit(_with_floor(sections, floor), counter.count, budget)
        if tokens <= budget:
            break
    return render_sections(kept)


def _anomaly_sections(full: str, analysis: Analysis) -> list[Section] | None:
    """The rendered anomalies cut into sections, or None when the lines do not match the analysis."""
    lines = full.split("\n")
    n, recs = len(analysis.anomalies), len(analysis.recommendations)
    expected = HEAD_LINES + (1 + n if n else 1) + (1 if analysis.lr is not None else 0) + (1 + recs if recs else 0)
    if len(lines) != expected:
        return None
    sections = [Section("head", 0, tuple(lines[:HEAD_LINES]), required=True, min_items=HEAD_LINES)]
    at = HEAD_LINES
    if n:
        bullets = tuple(lines[at + 1 : at + 1 + n])
        sections.append(
            Section(
                "anomalies",
                1,
                bullets,
                header=lines[at],
                required=True,
                trim_priority=10,  # most severe first, so the trailing lines go before anything else
                more=_more_anomalies_note("anomalies", n, _worth_filtering(analysis)),
            )
        )
        at += 1 + n
    else:
        sections.append(Section("anomalies", 1, (lines[at],), required=True))
        at += 1
    if analysis.lr is not None:
        sections.append(Section("lr", 3, (lines[at],)))
        at += 1
    if recs:
        sections.append(
            Section(
                "next",
                2,
                tuple(lines[at + 1 :]),
                header=lines[at],
                more=lambda k: f"+{plural(k, 'more recommendation')}: raise token_budget",
            )
        )
    return sections


def _worth_filtering(analysis: Analysis) -> str | None:
    """The worst severity present, when some anomalies are milder (filtering by it would shorten the list)."""
    ranks = sorted({SEVERITY_RANK[a.severity] for a in analysis.anomalies})
    if len(ranks) < 2:
        return None
    return next(name for name, rank in SEVERITY_RANK.items() if rank == ranks[-1])


def _with_floor(sections: Sequence[Section], floor: int) -> list[Section]:
    return [attrs.evolve(s, min_items=floor) if s.name == "anomalies" and s.more else s for s in sections]


def _more_anomalies_note(what: str, total: int, worst: str | None = None) -> Callable[[int], str]:
    """The note for left-out lines; `worst` is the severity filter worth suggesting, when one would help."""
    tip = f", or pass severity='{worst}' for the worst only" if worst else ""

    def more(n: int) -> str:
        if what == "anomalies" and n == total:
            return f"(all {n:,} anomalies left out to fit: raise token_budget{tip})"
        noun = {"anomalies": "anomaly" if n == 1 else "anomalies", "lines": "line" if n == 1 else "lines"}[what]
        return f"+{n:,} more {noun}: raise token_budget{tip}"

    return more


def stability_text(
    info: RunInfo, items: Sequence[Stability], *, renderer: Renderer, counter: TokenCounter, budget: int
) -> str:
    """The stability table, trailing keys dropped to fit."""
    text, _ = fit_table(
        renderer.stability(info, items),
        head_lines=MARKDOWN_TABLE_HEAD,
        counter=counter,
        budget=budget,
        more=lambda n: f"+{plural(n, 'more key')}: name fewer keys, or raise token_budget",
    )
    return text


def health_text(
    info: RunInfo, health: Health, *, renderer: Renderer, counter: TokenCounter, budget: int = HEALTH_BUDGET
) -> str:
    """The one-line health; a finding too long for the budget loses trailing clauses (whole facts)."""
    text: str = renderer.health(info, health)
    clauses = health.finding.split("; ")
    for keep in range(len(clauses) - 1, 0, -1):
        if counter.count(text) <= budget:
            break
        shorter = "; ".join(clauses[:keep]) + " (more: detect_anomalies)"
        text = renderer.health(info, attrs.evolve(health, finding=shorter))
    return text
