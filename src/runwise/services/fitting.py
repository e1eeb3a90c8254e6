"""The one way any answer is fitted to a token budget, for CLI text, markdown and MCP alike.

A renderer draws a result as prioritised sections (domain.budget.Section); `fit_answer` keeps what
fits and reports, per section, how many items the text shows, so a structured result (JSON, MCP
structured content) can be cut to exactly the same facts. Nothing downstream parses rendered text.

Budget priorities (lower numbers stay longer) are declared by each renderer section; see the
renderer's docstrings and the README's "Token budgets" table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import attrs

from runwise.domain.budget import Section, fit, render_sections
from runwise.domain.shared_repr import fields_repr
from runwise.ports.tokens import TokenCounter

T = TypeVar("T")


@attrs.frozen
class Fitted:
    """A fitted answer: its text, that text's token count, and the items shown per kept section."""

    __repr__ = fields_repr

    text: str
    tokens: int
    shown: Mapping[str, int]
    budget: int | None = None

    def count(self, section: str, default: int = 0) -> int:
        """Items the text shows of `section` (`default` when the section was dropped or never drawn)."""
        return self.shown.get(section, default)

    def kept(self, section: str) -> bool:
        return section in self.shown


def fit_answer(sections: Sequence[Section], counter: TokenCounter, budget: int | None) -> Fitted:
    """The sections fitted to `budget` (all of them when None); as a last resort down to each section's floor."""
    if budget is None:
        kept = list(sections)
        text = render_sections(kept)
        return Fitted(text, counter.count(text), _shown(kept), None)
    kept, tokens = fit(sections, counter.count, budget)
    if tokens > budget and any(s.floor is not None and s.floor < s.min_items for s in sections):
        floored = [attrs.evolve(s, min_items=s.floor) if s.floor is not None else s for s in sections]
        kept, tokens = fit(floored, counter.count, budget)
    return Fitted(render_sections(kept), tokens, _shown(kept), budget)


def fit_refining(
    draw: Callable[[T], Sequence[Section]],
    first: T,
    smaller: Callable[[T, int, int], T | None],
    counter: TokenCounter,
    budget: int | None,
) -> tuple[T, Fitted]:
    """Fit, and while the answer is over budget ask `smaller(value, tokens, budget)` for a lighter one.

    For answers that shrink by asking again rather than by dropping rows (a history re-sampled with
    fewer points per key). Returns the value finally drawn and its fitted answer.
    """
    value = first
    fitted = fit_answer(draw(value), counter, budget)
    while budget is not None and fitted.tokens > budget:
        lighter = smaller(value, fitted.tokens, budget)
        if lighter is None:
            break
        value = lighter
        fitted = fit_answer(draw(value), counter, budget)
    return value, fitted


def _shown(kept: Sequence[Section]) -> dict[str, int]:
    return {s.name: len(s.visible_items) for s in kept}
