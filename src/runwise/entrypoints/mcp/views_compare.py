"""Texts of the multi-run tools fitted to their budgets: comparison, best run, query matches.

The renderer draws the complete answer; these keep its first line (the verdict), then as many table
rows as fit, and say how many were left out.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from runwise.domain.budget import Section, fit, render_sections
from runwise.domain.compare import BestRun, Comparison
from runwise.entrypoints.mcp.fitting import fit_table, plural
from runwise.entrypoints.mcp.views import MARKDOWN_TABLE_HEAD
from runwise.ports.renderer import Renderer
from runwise.ports.tokens import TokenCounter
from runwise.services.query import QueryResult

BEST_ROWS = 10  # the renderer's ranking table shows at most this many runs


@attrs.frozen
class FittedComparison:
    """The comparison's text, its token count, and how many key rows it shows (the model keeps those)."""

    text: str
    tokens: int
    shown: int


def comparison_text(cmp: Comparison, *, renderer: Renderer, counter: TokenCounter, budget: int) -> FittedComparison:
    """The comparison's sections fitted like the CLI's: key rows beyond the first three go first."""
    kept, tokens = fit(renderer.comparison_sections(cmp), counter.count, budget)
    shown = next((len(s.visible_items) for s in kept if s.name == "keys"), 0) if cmp.keys else 0
    return FittedComparison(render_sections(kept), tokens, shown)


def best_text(result: BestRun, *, renderer: Renderer, counter: TokenCounter, budget: int) -> str:
    """The winner line always; ranking rows, then the skipped runs, as the budget allows."""
    full: str = renderer.best(result)
    if counter.count(full) <= budget:
        return full
    lines = full.split("\n")
    rows = min(BEST_ROWS, len(result.ranking))
    end = MARKDOWN_TABLE_HEAD + rows
    if len(lines) < end:  # not the layout we know
        return fit_table(full, head_lines=1, counter=counter, budget=budget, more=_more("line"))[0]
    tail = [line for line in lines[end:] if line.startswith("skipped: ")]
    sections = [
        Section("winner", 0, (lines[0],), required=True),
        Section(
            "ranking",
            1,
            tuple(lines[MARKDOWN_TABLE_HEAD:end]),
            header="\n".join(lines[1:MARKDOWN_TABLE_HEAD]),
            hidden_before=len(result.ranking) - rows,
            more=lambda n: f"+{plural(n, 'more run')}: narrow with where, or raise token_budget",
        ),
    ]
    if tail:
        sections.append(Section("skipped", 2, tuple(tail)))
    kept, _ = fit(sections, counter.count, budget)
    return render_sections(kept)


def query_text(result: QueryResult, *, renderer: Renderer, counter: TokenCounter, budget: int) -> str:
    """The match count line always, the notes on unknown keys next; match rows as the budget allows."""
    full: str = renderer.query(result)
    if counter.count(full) <= budget:
        return full
    lines = full.split("\n")
    end = MARKDOWN_TABLE_HEAD + len(result.matches)
    if not result.matches or len(lines) < end:
        return fit_table(full, head_lines=1, counter=counter, budget=budget, more=_more("line"))[0]
    beyond = result.matched - len(result.matches)
    notes = lines[end:]
    sections = [
        Section("count", 0, (lines[0],), required=True),
        Section(
            "matches",
            2,
            tuple(lines[MARKDOWN_TABLE_HEAD:end]),
            header="\n".join(lines[1:MARKDOWN_TABLE_HEAD]),
            hidden_before=beyond,
            required=True,
            more=lambda n: (
                f"+{n:,} more {'match' if n == 1 else 'matches'}: raise limit or token_budget, or narrow expr"
            ),
        ),
    ]
    if notes:
        sections.append(Section("notes", 1, tuple(notes), min_items=len(notes)))
    kept, _ = fit(sections, counter.count, budget)
    return render_sections(kept)


def _more(noun: str) -> Callable[[int], str]:
    return lambda n: f"+{plural(n, 'more ' + noun)}: raise token_budget"
