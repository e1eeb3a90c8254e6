"""Fit prioritised sections to a token budget: drop whole low-priority sections, then whole items.

Every answer Runwise gives (CLI text, markdown, MCP text) is a list of sections drawn by a renderer
and fitted here; services.fitting adds what was shown per section so structured results can be cut
to exactly what the text shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class Section:
    """A block of output. Lower `priority` numbers matter more; `required` sections are never dropped.

    `items` are whole facts (one line each, or `inline`: joined by "; " after the header on one line).
    Trimming keeps the first `shown` items and, when `more` is set, adds its note for the rest (e.g.
    "+12 more metrics: ..."). `floor` is how few items may stay as a last resort when even the
    `min_items` do not fit (e.g. every anomaly line gives way before the run line does).
    """

    __repr__ = fields_repr

    name: str
    priority: int
    items: tuple[str, ...]
    header: str | None = None
    required: bool = False
    min_items: int = 1
    more: Callable[[int], str] | None = attrs.field(default=None, eq=False)
    shown: int | None = None  # None: all items
    trim_priority: float | None = None  # when its extra items go, relative to other sections (default: priority)
    hidden_before: int = 0  # items already left out by the caller, counted in the `more` note
    floor: int | None = None
    inline: bool = False

    @property
    def visible_items(self) -> tuple[str, ...]:
        return self.items if self.shown is None else self.items[: self.shown]

    @property
    def hidden(self) -> int:
        return self.hidden_before + len(self.items) - len(self.visible_items)

    def render(self) -> str:
        if self.inline:
            text = " ".join(p for p in (self.header, "; ".join(self.visible_items)) if p)
            return f"{text} {self.more(self.hidden)}" if self.hidden and self.more is not None else text
        lines = [self.header] if self.header else []
        lines.extend(self.visible_items)
        if self.hidden and self.more is not None:
            lines.append(self.more(self.hidden))
        return "\n".join(lines)


def render_sections(sections: Sequence[Section]) -> str:
    """Sections joined by newlines, in the order given."""
    return "\n".join(text for text in (s.render() for s in sections) if text)


def fit(sections: Sequence[Section], count_tokens: Callable[[str], int], budget: int) -> tuple[list[Section], int]:
    """The sections that fit in `budget` tokens, in their original order, and their token count.

    Work goes from the least important unit up: a unit is either a section's extra items (beyond
    `min_items`, trimmed one whole item at a time, at `trim_priority`) or a whole section (dropped,
    at `priority`). Required sections stay even over budget. Finally, sections dropped on the way
    are put back if they fit in what is left.
    """
    kept = list(sections)
    total = count_tokens(render_sections(kept))
    units: list[tuple[float, int, str]] = []
    for s in sections:
        if len(s.items) > s.min_items:
            units.append((s.trim_priority if s.trim_priority is not None else s.priority, 1, s.name))
        if not s.required:
            units.append((float(s.priority), 0, s.name))
    for _, is_trim, name in sorted(units, reverse=True):
        if total <= budget:
            break
        index = next((i for i, k in enumerate(kept) if k.name == name), None)
        if index is None:
            continue
        if is_trim:
            kept[index], total = _trim(kept, index, total, count_tokens, budget)
        else:
            del kept[index]
            total = count_tokens(render_sections(kept))
    return _readmit(sections, kept, total, count_tokens, budget)


def _trim(
    kept: list[Section], index: int, total: int, count_tokens: Callable[[str], int], budget: int
) -> tuple[Section, int]:
    """The section at `index` cut to as many leading items as fit, and the new total.

    Counting the whole text after every removed item made fitting quadratic (1,000 keys took
    ~1,000 full counts). Each item is counted once instead; the cut jumps by the estimated excess,
    and a real count of the whole text confirms it, stepping back up while a dropped item still fits.
    """
    section = kept[index]
    costs = [count_tokens(item) + 1 for item in section.visible_items]  # +1: the newline between items
    shown = len(costs)

    def measured(n: int) -> int:
        trial = list(kept)
        trial[index] = attrs.evolve(section, shown=n)
        return count_tokens(render_sections(trial))

    while total > budget and shown > section.min_items:
        excess, cut = total - budget, 0
        while excess > 0 and shown - cut > section.min_items:
            cut += 1
            excess -= costs[shown - cut]
        shown -= max(cut, 1)
        total = measured(shown)
    while total <= budget and shown < len(costs):  # the estimate may have cut one item too many
        grown = measured(shown + 1)
        if grown > budget:
            break
        shown, total = shown + 1, grown
    return (
        section if shown == len(section.items) and section.shown is None else attrs.evolve(section, shown=shown)
    ), total


def _readmit(
    sections: Sequence[Section],
    kept: list[Section],
    total: int,
    count_tokens: Callable[[str], int],
    budget: int,
) -> tuple[list[Section], int]:
    """Dropping a big section may leave room for a smaller one: put it back, whole or at its fewest items."""
    kept_names = {s.name for s in kept}
    for section in sorted(sections, key=lambda s: s.priority):
        if section.name in kept_names:
            continue
        forms = [section]
        if len(section.items) > section.min_items:
            forms.append(attrs.evolve(section, shown=section.min_items))
        for form in forms:
            trial = [s for s in sections if s.name in kept_names or s is section]
            trial = [form if s is section else next((k for k in kept if k.name == s.name), s) for s in trial]
            trial_total = count_tokens(render_sections(trial))
            if trial_total <= budget:
                kept, total = trial, trial_total
                kept_names.add(section.name)
                break
    return kept, total
