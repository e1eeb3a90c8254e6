"""Fit a tool's text rendering to its token budget by dropping whole rows, never cutting a fact in half.

The renderers draw complete answers; an assistant pays for every token it reads, so each tool's
text is trimmed here to its budget, and the text says what was left out and how to get it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from runwise.ports.tokens import TokenCounter


def fit_rows(
    head: Sequence[str],
    rows: Sequence[str],
    *,
    counter: TokenCounter,
    budget: int,
    more: Callable[[int], str],
    min_rows: int = 1,
) -> tuple[str, int]:
    """The head plus as many leading rows as fit (at least `min_rows`), and how many rows were shown.

    When rows are left out, `more(hidden)` is appended as the last line.
    """

    def render(n: int) -> str:
        lines = [*head, *rows[:n]]
        if n < len(rows):
            lines.append(more(len(rows) - n))
        return "\n".join(lines)

    if counter.count(render(len(rows))) <= budget:
        return render(len(rows)), len(rows)
    lo, hi = min(min_rows, len(rows)), len(rows) - 1  # largest n in [lo, hi] that fits; lo even if it does not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if counter.count(render(mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return render(lo), lo


def fit_table(
    text: str, *, head_lines: int, counter: TokenCounter, budget: int, more: Callable[[int], str]
) -> tuple[str, int]:
    """A rendered table (`head_lines` of title and header, then one row per line) cut to the budget."""
    lines = text.split("\n")
    return fit_rows(lines[:head_lines], lines[head_lines:], counter=counter, budget=budget, more=more)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"
