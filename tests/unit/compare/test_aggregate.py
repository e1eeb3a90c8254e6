"""Aggregation over seeds with Student-t intervals, and a single run's trailing-window uncertainty."""

from __future__ import annotations

import math

import attrs
import numpy as np
import pytest
import scipy.stats as scipy_stats

from runwise.domain.aggregate import aggregate, is_seed_key
from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.model import MetricSeries, Run
from runwise.domain.stats import estimate, t_critical, t_quantile, trailing_estimate
from runwise.services.catalog import Catalog
from runwise.services.compare import aggregate_runs
from tests.unit.compare.sweep import LEARNING_RATES, SEEDS, Trained

# Two-sided 95% critical values from printed t tables (independent of scipy).
T95_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042, 60: 2.000, 120: 1.980}


@pytest.mark.parametrize(("df", "expected"), sorted(T95_TABLE.items()))
def test_t_critical_matches_printed_tables(df: int, expected: float) -> None:
    assert t_critical(0.95, df) == pytest.approx(expected, abs=6e-4)


@pytest.mark.parametrize("df", [*range(1, 41), 50, 99, 100, 500, 999, 1000, 1001, 2000, 10_000, 1_000_000])
@pytest.mark.parametrize("p", [0.55, 0.9, 0.95, 0.975, 0.995, 0.9995])
def test_t_quantile_matches_scipy(df: int, p: float) -> None:
    assert t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-9)
    assert t_quantile(1 - p, df) == pytest.approx(scipy_stats.t.ppf(1 - p, df), rel=1e-9)


def test_t_quantile_rejects_bad_arguments() -> None:
    for p, df in [(0.0, 3), (1.0, 3), (0.9, 0), (0.9, 2.5)]:
        with pytest.raises(ValueError):
            t_quantile(p, df)  # type: ignore[arg-type]
    assert t_quantile(0.5, 7) == 0.0


def test_estimate_matches_numpy_and_scipy() -> None:
    values = [0.91, 0.93, 0.9, 0.95]
    est = estimate(values)
    data = np.array(values)
    half = scipy_stats.t.ppf(0.975, 3) * data.std(ddof=1) / math.sqrt(4)
    assert est.mean == pytest.approx(data.mean())
    assert est.std == pytest.approx(data.std(ddof=1))
    assert (est.low, est.high) == (pytest.approx(data.mean() - half), pytest.approx(data.mean() + half))
    one = estimate([0.5])
    assert one.std is None and one.low is None and one.n == 1


@pytest.mark.parametrize(
    ("key", "is_seed"),
    [("seed", True), ("random_seed", True), ("rng_seed", True), ("trainer.seed", True), ("data-seed", True),
     ("seed_value", True), ("seeds", True), ("Seed", True), ("seedling", False), ("lr", False), ("seed.lr", False)],
)  # fmt: skip
def test_seed_keys(key: str, is_seed: bool) -> None:
    assert is_seed_key(key) is is_seed


def test_sweep_groups_by_learning_rate(catalog: Catalog, sweep: list[Trained]) -> None:
    result = aggregate_runs(catalog, metric="val/acc")
    assert result.ignored_keys == ("seed",)
    assert result.higher_is_better is True
    assert len(result.groups) == len(LEARNING_RATES)
    for group in result.groups:
        lr = dict(group.config)["optimizer.lr"]
        assert group.label == f"optimizer.lr={lr:g}"
        members = [t for t in sweep if t.lr == lr]
        finals = np.array([t.val_acc[-1] for t in members])
        bests = np.array([t.val_acc.max() for t in members])
        n = len(SEEDS)
        assert group.n == n and sorted(m.seed for m in group.members) == list(SEEDS)
        for est, data in ((group.final, finals), (group.best, bests)):
            half = scipy_stats.t.ppf(0.975, n - 1) * data.std(ddof=1) / math.sqrt(n)
            assert est.mean == pytest.approx(data.mean())
            assert est.std == pytest.approx(data.std(ddof=1))
            assert est.low == pytest.approx(data.mean() - half)
            assert est.high == pytest.approx(data.mean() + half)
    means = [g.final.mean for g in result.groups]
    assert means == sorted(means, reverse=True)  # best group first


def test_lower_is_better_metric_ranks_lowest_first(catalog: Catalog) -> None:
    result = aggregate_runs(catalog, metric="val/loss")
    means = [g.final.mean for g in result.groups]
    assert means == sorted(means)
    assert dict(result.groups[0].config)["optimizer.lr"] == max(LEARNING_RATES)


def test_explicit_group_by(catalog: Catalog, sweep: list[Trained]) -> None:
    result = aggregate_runs(catalog, metric="val/acc", group_by="config.batch_size")
    assert [g.label for g in result.groups] == ["batch_size=32"]
    finals = np.array([t.val_acc[-1] for t in sweep])
    assert result.groups[0].n == len(sweep)
    assert result.groups[0].final.mean == pytest.approx(finals.mean())
    by_seed = aggregate_runs(catalog, metric="val/acc", group_by="seed")
    assert sorted(g.label for g in by_seed.groups) == [f"seed={s}" for s in SEEDS]


def test_refs_select_the_runs(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    refs = ["lr0.1-s0", "lr0.1-s1"]
    result = aggregate_runs(catalog, refs, metric="val/loss")
    (group,) = result.groups
    data = np.array([by_name[r].val_loss[-1] for r in refs])
    assert group.label == "all runs" and group.final.mean == pytest.approx(data.mean())
    assert group.final.high - group.final.mean == pytest.approx(
        scipy_stats.t.ppf(0.975, 1) * data.std(ddof=1) / math.sqrt(2)
    )


def test_a_config_difference_other_than_seed_splits_groups(sweep_runs: list[Run]) -> None:
    changed = [
        attrs.evolve(r, config={**r.config, "batch_size": 64}, info=attrs.evolve(r.info, id=r.info.id + "b"))
        for r in sweep_runs[:2]
    ]
    result = aggregate([*sweep_runs[:3], *changed], "val/acc")
    assert sorted(g.label for g in result.groups) == ["batch_size=32", "batch_size=64"]
    assert sorted(g.n for g in result.groups) == [2, 3]


def test_per_run_bookkeeping_keys_do_not_split_groups(sweep_runs: list[Run]) -> None:
    runs = [attrs.evolve(r, config={**r.config, "output_dir": f"out/{r.info.name}"}) for r in sweep_runs[:3]]
    assert len(aggregate(runs, "val/acc").groups) == 1
    assert len(aggregate(runs, "val/acc", ignore=()).groups) == 1
    extra = [attrs.evolve(r, config={**r.config, "tag_id": r.info.name}) for r in sweep_runs[:3]]
    assert len(aggregate(extra, "val/acc").groups) == 3
    assert len(aggregate(extra, "val/acc", ignore=["tag_id"]).groups) == 1


def test_single_run_uncertainty_from_its_trailing_window(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    t = by_name["lr0.1-s0"]
    result = aggregate_runs(catalog, ["lr0.1-s0"], metric="train/loss")
    (group,) = result.groups
    trailing = group.trailing
    assert group.final.std is None and trailing is not None
    # independently: last 10% of 300 points = 30, split into floor(sqrt(30)) = 5 batches of 6
    window = t.train_loss[-30:]
    means = window.reshape(5, 6).mean(axis=1)
    se = means.std(ddof=1) / math.sqrt(5)
    half = scipy_stats.t.ppf(0.975, 4) * se
    assert trailing.last == pytest.approx(t.train_loss[-1])
    assert trailing.window_mean == pytest.approx(window.mean())
    assert trailing.se == pytest.approx(se)
    assert (trailing.low, trailing.high) == (pytest.approx(window.mean() - half), pytest.approx(window.mean() + half))
    assert (trailing.points, trailing.batches, trailing.from_step, trailing.to_step) == (30, 5, 270, 299)


def test_trailing_window_of_white_noise_covers_the_true_mean() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    trials = 400
    for _ in range(trials):
        values = 1.0 + rng.normal(0, 0.1, 2000)
        est = trailing_estimate(MetricSeries("x", np.arange(2000), values))
        assert est is not None and est.low is not None and est.high is not None
        covered += est.low <= 1.0 <= est.high
    assert 0.90 <= covered / trials <= 0.99


def test_trailing_window_accounts_for_autocorrelation() -> None:
    """AR(1) noise: batch means give a wider (honest) interval than the naive i.i.d. standard error."""
    rng = np.random.default_rng(3)
    n, phi = 5000, 0.9
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = phi * noise[i - 1] + rng.normal(0, 0.1)
    est = trailing_estimate(MetricSeries("x", np.arange(n), noise))
    tail = noise[-500:]
    naive = tail.std(ddof=1) / math.sqrt(tail.size)
    assert est is not None and est.se is not None
    assert est.se > 2 * naive


def test_trailing_window_with_too_few_points_has_no_interval() -> None:
    est = trailing_estimate(MetricSeries("x", [0, 1, 2], [1.0, float("nan"), 2.0]))
    assert est is not None and est.last == 2.0 and est.se is None and est.low is None
    assert trailing_estimate(MetricSeries("x", [0], [float("nan")])) is None


def test_missing_metric_and_empty_input(sweep_runs: list[Run], catalog: Catalog) -> None:
    with pytest.raises(MetricNotFound):
        aggregate(sweep_runs, "val/f1")
    with pytest.raises(InvalidInput):
        aggregate([], "val/acc")
    with pytest.raises(InvalidInput):
        aggregate(sweep_runs, "val/acc", confidence=1.5)


def test_runs_without_the_metric_are_reported_missing(sweep_runs: list[Run]) -> None:
    bare = attrs.evolve(sweep_runs[0], series={"val/acc": MetricSeries("val/acc", [0], [float("nan")])})
    result = aggregate([bare, *sweep_runs[1:3]], "val/acc")
    (group,) = result.groups
    assert group.missing == (bare.info.name,) and group.n == 2


def test_other_confidence_levels(catalog: Catalog, sweep: list[Trained]) -> None:
    result = aggregate_runs(catalog, metric="val/acc", confidence=0.9)
    group = result.groups[0]
    lr = dict(group.config)["optimizer.lr"]
    data = np.array([t.val_acc[-1] for t in sweep if t.lr == lr])
    half = scipy_stats.t.ppf(0.95, 2) * data.std(ddof=1) / math.sqrt(3)
    assert group.final.high == pytest.approx(data.mean() + half)
