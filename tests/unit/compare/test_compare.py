"""Comparisons over the sweep: step matching per key, filters, threshold, grouping, config diff."""

from __future__ import annotations

import numpy as np
import pytest

from runwise.domain.errors import InvalidInput
from runwise.services.catalog import Catalog
from runwise.services.compare import compare_runs
from tests.unit.compare.sweep import Trained


def _at(steps: np.ndarray, values: np.ndarray, step: int) -> tuple[float, int]:
    """Independent nearest-at-or-before lookup."""
    i = int(np.max(np.nonzero(steps <= step)[0]))
    return float(values[i]), int(steps[i])


def test_step_matched_comparison_reports_the_step_each_run_used(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    a, b = by_name["lr0.1-s0"], by_name["lr0.5-s0"]  # validation every 20 and every 25 steps
    result = compare_runs(catalog, ["lr0.1-s0@150", "lr0.5-s0@150"])
    assert [c.label for c in result.runs] == ["lr0.1-s0@150", "lr0.5-s0@150"]
    assert [c.requested_step for c in result.runs] == [150, 150]
    val = result.key("val/acc")
    expected_a = _at(a.val_steps, a.val_acc, 150)
    expected_b = _at(b.val_steps, b.val_acc, 150)
    assert val.steps == (expected_a[1], expected_b[1]) == (140, 150)
    assert [v.exact for v in val.values] == [False, True]
    assert val.values[0].value == pytest.approx(expected_a[0])
    assert val.values[1].value == pytest.approx(expected_b[0])
    train = result.key("train/loss")
    assert train.steps == (150, 150) and all(v.exact for v in train.values)
    assert train.values[0].value == pytest.approx(a.train_loss[150])
    assert train.values[1].value == pytest.approx(b.train_loss[150])


def test_different_steps_per_run(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    result = compare_runs(catalog, ["lr0.1-s0@160", "lr0.5-s0@160", "lr0.02-s0"])
    assert result.key("val/loss").steps == (160, 150, 299)
    assert result.key("val/loss").values[2].value == pytest.approx(by_name["lr0.02-s0"].val_loss[-1])
    assert result.key("val/loss").values[2].exact is None  # compared at its last step


def test_same_run_at_two_steps(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    t = by_name["lr0.1-s1"]
    result = compare_runs(catalog, ["lr0.1-s1@100", "lr0.1-s1@299"])
    row = result.key("val/loss")
    assert row.values[0].value == pytest.approx(t.val_loss[t.val_steps == 100][0])
    assert row.deltas[1] == pytest.approx(t.val_loss[-1] - t.val_loss[t.val_steps == 100][0])
    assert row.verdicts[1] == "better"  # loss went down


def test_deltas_percents_and_direction_aware_verdicts(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    a, b = by_name["lr0.02-s0"], by_name["lr0.5-s0"]
    result = compare_runs(catalog, ["lr0.02-s0", "lr0.5-s0"])
    acc, loss, lr = result.key("val/acc"), result.key("val/loss"), result.key("train/lr")
    assert acc.deltas[1] == pytest.approx(b.val_acc[-1] - a.val_acc[-1])
    assert acc.pct[1] == pytest.approx(100 * (b.val_acc[-1] - a.val_acc[-1]) / abs(a.val_acc[-1]))
    assert acc.verdicts == (None, "better") and acc.best_index == 1
    assert loss.verdicts == (None, "better") and loss.best_index == 1  # lower loss is better
    assert lr.verdicts == (None, "differs") and lr.best_index is None  # lr has no direction
    assert lr.pct[1] == pytest.approx(100 * (0.5 - 0.02) / 0.02)


def test_worse_verdict(catalog: Catalog) -> None:
    result = compare_runs(catalog, ["lr0.5-s0", "lr0.02-s0"])
    assert result.key("val/acc").verdicts[1] == "worse"
    assert result.key("val/loss").verdicts[1] == "worse"


@pytest.mark.parametrize(
    ("flt", "keys"),
    [
        ("val", {"val/acc", "val/loss"}),
        ("VAL", {"val/acc", "val/loss"}),
        ("train/*", {"train/loss", "train/lr"}),
        ("*acc", {"val/acc"}),
        ("loss", {"train/loss", "val/loss"}),
        ("acc,lr", {"val/acc", "train/lr"}),
        (["*/lr", "val/l*"], {"train/lr", "val/loss"}),
        ("nothing", set()),
    ],
)
def test_key_filter(catalog: Catalog, flt, keys: set[str]) -> None:
    result = compare_runs(catalog, ["lr0.1-s0", "lr0.5-s0"], filter=flt)
    assert {k.key for k in result.keys} == keys
    assert result.total_keys == 4


@pytest.mark.parametrize("threshold", [0.0, 2.0, 5.0, 50.0, 100.0, 1000.0])
def test_threshold_keeps_differences_of_at_least_pct(
    catalog: Catalog, by_name: dict[str, Trained], threshold: float
) -> None:
    a, b = by_name["lr0.1-s0"], by_name["lr0.5-s0"]
    last = {
        "train/loss": (a.train_loss[-1], b.train_loss[-1]),
        "train/lr": (a.lr, b.lr),
        "val/loss": (a.val_loss[-1], b.val_loss[-1]),
        "val/acc": (a.val_acc[-1], b.val_acc[-1]),
    }
    expected = {k for k, (x, y) in last.items() if abs(y - x) / abs(x) * 100 >= threshold}
    result = compare_runs(catalog, ["lr0.1-s0", "lr0.5-s0"], threshold_pct=threshold)
    assert {k.key for k in result.keys} == expected


def test_threshold_with_three_runs_uses_the_largest_difference(catalog: Catalog, by_name) -> None:
    runs = ["lr0.1-s0", "lr0.1-s1", "lr0.5-s0"]
    acc = [by_name[r].val_acc[-1] for r in runs]
    biggest = max(abs(x - acc[0]) / acc[0] * 100 for x in acc[1:])
    kept = compare_runs(catalog, runs, filter="val/acc", threshold_pct=biggest - 1e-9)
    dropped = compare_runs(catalog, runs, filter="val/acc", threshold_pct=biggest + 1e-6)
    assert [k.key for k in kept.keys] == ["val/acc"] and dropped.keys == ()
    assert kept.key("val/acc").best_index == int(np.argmax(acc))


def test_grouping_by_prefix(catalog: Catalog) -> None:
    result = compare_runs(catalog, ["lr0.1-s0", "lr0.5-s0"], group=True)
    groups = result.groups()
    assert list(groups) == ["train", "val"]
    assert {k.key for k in groups["train"]} == {"train/loss", "train/lr"}
    assert {k.key for k in groups["val"]} == {"val/acc", "val/loss"}
    assert [k.group for k in result.keys] == ["train", "train", "val", "val"]


def test_config_diff_lists_only_differences(catalog: Catalog) -> None:
    result = compare_runs(catalog, ["lr0.1-s0", "lr0.5-s1"], config_diff=True)
    diff = result.config_diff
    assert diff is not None
    assert {e.key: e.values for e in diff.entries} == {"optimizer.lr": (0.1, 0.5), "seed": (0, 1)}
    assert diff.same == 3  # batch_size, model, optimizer.name
    assert compare_runs(catalog, ["lr0.1-s0", "lr0.5-s1"]).config_diff is None


def test_loss_keys_come_first_without_grouping(catalog: Catalog) -> None:
    result = compare_runs(catalog, ["lr0.1-s0", "lr0.5-s0"])
    assert [k.key for k in result.keys][:2] == ["train/loss", "val/loss"]


def test_compare_needs_two_runs(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput, match="at least two"):
        compare_runs(catalog, ["lr0.1-s0"])


def test_negative_threshold_is_rejected(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        compare_runs(catalog, ["lr0.1-s0", "lr0.5-s0"], threshold_pct=-1)


def test_step_before_any_point_is_an_input_error(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput):
        compare_runs(catalog, ["lr0.1-s0@-1", "lr0.5-s0"])
