from __future__ import annotations

import attrs

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.domain.budget import Section, fit, render_sections

count = EstimatingTokenCounter().count


def _sections() -> list[Section]:
    return [
        Section("header", 0, ("run alpha · finished · step 100,000",), required=True),
        Section("headline", 1, ("Loss fell from 4.1 to 0.62 and is still falling.",)),
        Section(
            "metrics",
            2,
            tuple(f"metric_{i}  0.{i:04d}  0.{i:04d} (1,000)" for i in range(40)),
            min_items=3,
            more=lambda n: f"+{n} more metrics",
        ),
        Section("anomalies", 3, ("critical nan_inf in loss at 8,312: NaN from step 8,312",)),
        Section("recommendations", 4, ("Lower the peak lr or clip gradients.",)),
    ]


def test_everything_fits_a_large_budget() -> None:
    kept, tokens = fit(_sections(), count, 10_000)
    assert [s.name for s in kept] == ["header", "headline", "metrics", "anomalies", "recommendations"]
    assert tokens == count(render_sections(kept))


def test_small_budget_drops_whole_sections_and_whole_rows_only() -> None:
    kept, tokens = fit(_sections(), count, 120)
    text = render_sections(kept)
    assert tokens <= 120 and count(text) == tokens
    assert kept[0].name == "header"
    for line in text.splitlines():  # every line is a whole fact from the input, or the "more" note
        assert any(line in s.render() for s in _sections()) or line.startswith("+")
    metrics = next(s for s in kept if s.name == "metrics")
    assert 3 <= len(metrics.visible_items) < 40
    assert f"+{40 - len(metrics.visible_items)} more metrics" in text


def test_required_sections_survive_any_budget() -> None:
    kept, _ = fit(_sections(), count, 1)
    assert [s.name for s in kept] == ["header"]


def test_a_dropped_big_section_leaves_room_for_a_smaller_one() -> None:
    sections = [
        Section("header", 0, ("h",), required=True),
        Section("big", 1, tuple("word " * 50 for _ in range(3)), min_items=3),
        Section("small", 2, ("tiny fact",)),
    ]
    kept, _ = fit(sections, count, 20)
    assert [s.name for s in kept] == ["header", "small"]


def test_trimming_many_items_counts_each_character_a_bounded_number_of_times() -> None:
    """Fitting 5,000 metric lines once re-counted the whole text per dropped line (quadratic: 1,000 keys took 7 s)."""
    metrics = Section(
        "metrics", 2, tuple(f"metric_{i}/value  0.{i:04d}  ↓ ▂▃▄" for i in range(5000)), more=lambda n: f"+{n} more"
    )
    sections = [Section("header", 0, ("run alpha",), required=True), metrics]
    counted: list[int] = []

    def counting(text: str) -> int:
        counted.append(len(text))
        return count(text)

    kept, tokens = fit(sections, counting, 400)
    full = len(render_sections(sections))
    assert sum(counted) < 4 * full  # linear: each line counted a few times, not once per dropped line
    assert tokens <= 400 and tokens == count(render_sections(kept))
    shown = kept[1].shown
    assert shown is not None and shown > 10
    longer = [kept[0], attrs.evolve(kept[1], shown=shown + 1)]
    assert count(render_sections(longer)) > 400  # the cut keeps as many lines as fit, not fewer
