"""Aggregation groups: a group-by key must exist, fractions keep their intervals in [0, 1], labels stay short."""

from __future__ import annotations

import pytest

from runwise.adapters.renderers.tabular import MarkdownRenderer, TextRenderer
from runwise.domain.aggregate import aggregate
from runwise.domain.budget import render_sections
from runwise.domain.errors import InvalidInput
from tests.helpers import make_run


def _spread_accuracies() -> list:
    # three seeds, one of which collapsed: mean ± t·s/√n reaches past 1 and below 0
    finals = [0.95, 0.05, 0.96]
    return [make_run(f"s{i}", config={"lr": 0.1, "seed": i}, val__acc=[0.1, 0.5, v]) for i, v in enumerate(finals)]


def test_unknown_group_by_key_is_an_error_naming_the_known_keys() -> None:
    runs = [
        make_run("a", config={"lr": 0.1, "hidden": 64}, val__acc=[0.5]),
        make_run("b", config={"lr": 0.2}, val__acc=[0.6]),
    ]
    with pytest.raises(InvalidInput, match="no run has the config key 'nope'") as caught:
        aggregate(runs, "val/acc", group_by="config.nope")
    assert "hidden, lr" in str(caught.value)
    with pytest.raises(InvalidInput, match="did you mean hidden"):
        aggregate(runs, "val/acc", group_by="hiden")


def test_a_fractions_interval_stays_within_0_and_1() -> None:
    agg = aggregate(_spread_accuracies(), "val/acc")
    final = agg.groups[0].final
    assert agg.bounds == (0.0, 1.0)
    assert final is not None and final.low == 0.0 and final.high == 1.0  # clipped on both sides
    assert final.mean == pytest.approx(0.6533, abs=1e-4)  # the mean and std stay as computed
    text = render_sections(TextRenderer().aggregation_sections(agg))
    assert "clipped to 0–1" in text.splitlines()[0]


def test_a_loss_under_1_is_not_clipped() -> None:
    runs = [make_run(f"s{i}", config={"seed": i}, val__loss=[0.9, v]) for i, v in enumerate([0.05, 0.9, 0.1])]
    agg = aggregate(runs, "val/loss")
    assert agg.bounds is None and agg.groups[0].final is not None and agg.groups[0].final.low < 0  # type: ignore[operator]


def test_labels_name_groups_by_keys_that_vary_and_print_once() -> None:
    runs = [
        make_run("wandb-run", config={"lr": 0.2, "batch_size": 32, "hidden_units": 64}, val__acc=[0.5, 0.9]),
        make_run("base", config={"lr": 0.05, "hidden": 64, "warmup": 100}, val__acc=[0.5, 0.89]),
        make_run("small", config={"lr": 0.02, "hidden": 256, "warmup": 100}, val__acc=[0.5, 0.82]),
    ]
    agg = aggregate(runs, "val/acc")
    labels = {g.members[0].info.name: g.label for g in agg.groups}
    assert labels == {"wandb-run": "lr=0.2", "base": "hidden=64, lr=0.05", "small": "hidden=256, lr=0.02"}
    for renderer in (TextRenderer(), MarkdownRenderer()):
        text = render_sections(renderer.aggregation_sections(agg))
        assert all(text.count(label) == 1 for label in labels.values()), text
        assert "=—" not in text


def test_labels_fall_back_to_presence_when_values_alone_do_not_tell_groups_apart() -> None:
    runs = [
        make_run("plain", config={"lr": 0.1}, val__acc=[0.5, 0.9]),
        make_run("dropout", config={"lr": 0.1, "dropout": 0.1}, val__acc=[0.5, 0.8]),
    ]
    labels = sorted(g.label for g in aggregate(runs, "val/acc").groups)
    assert labels == ["dropout=0.1", "dropout=—"]
