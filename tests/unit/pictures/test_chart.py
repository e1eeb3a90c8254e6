"""The chart model: what survives downsampling, where a run broke, which axis, which episodes."""

from __future__ import annotations

import numpy as np

from runwise.domain.anomaly import Anomaly
from runwise.domain.chart import build_chart, ticks, wants_log
from runwise.domain.model import MetricSeries


def _loss(steps: int) -> MetricSeries:
    x = np.arange(steps, dtype=np.int64)
    return MetricSeries("train/loss", x, 2.0 * np.exp(-x / (steps / 5)) + 0.5)


def test_a_one_step_spike_in_a_million_points_survives_and_points_stay_per_column() -> None:
    series = _loss(1_000_000)
    values = series.values.copy()
    values[333_333] = 50.0
    chart = build_chart("train/loss", [("a", MetricSeries("train/loss", series.steps, values), [])], columns=800)
    line = chart.lines[0]
    assert line.points == 1_000_000
    assert line.steps.size <= 2 * 800 + 2
    assert 333_333 in line.steps.tolist() and float(line.values.max()) == 50.0


def test_a_nan_ending_is_where_the_run_broke_and_its_episode_is_not_drawn_twice() -> None:
    values = np.linspace(3.0, 1.0, 1000)
    values[700:] = np.nan
    series = MetricSeries("train/loss", np.arange(1000), values)
    anomalies = [
        Anomaly("nan_inf", "train/loss", 700, 999, 700, "critical", "NaN from 700"),
        Anomaly("divergence", "train/loss", 500, 999, 650, "critical", "diverged"),
        Anomaly("loss_spike", "val/loss", 10, 12, 11, "warning", "other metric"),
    ]
    chart = build_chart("train/loss", [("a", series, anomalies)], columns=100)
    line = chart.lines[0]
    assert (line.broke_at, line.broke_as) == (700, "NaN")
    assert line.nonfinite_steps.size == 0  # the NaN ending is one mark (broke_at), not one per bucket
    assert [(e.kind, e.start, e.end) for e in chart.episodes] == [("divergence", 500, 699)]


def test_isolated_nans_are_marked() -> None:
    values = np.ones(100)
    values[40] = np.nan
    chart = build_chart("loss", [("a", MetricSeries("loss", np.arange(100), values), [])], columns=50)
    assert chart.lines[0].broke_at is None
    assert chart.lines[0].nonfinite_steps.tolist() == [40]


def test_log_axis_only_for_positive_values_spanning_two_decades() -> None:
    assert wants_log([np.array([10.0, 0.05])])
    assert not wants_log([np.array([1.0, 0.5])])
    assert not wants_log([np.array([10.0, -0.05])])
    assert not build_chart("loss", [("a", _loss(100), [])], columns=50).log_y  # 0.5..2.5: linear reads better


def test_a_forced_log_axis_needs_positive_values() -> None:
    series = MetricSeries("x", np.arange(3), np.array([1.0, -1.0, 2.0]))
    assert not build_chart("x", [("a", series, [])], columns=10, log=True).log_y
    positive = MetricSeries("x", np.arange(3), np.array([1.0, 1.5, 2.0]))
    assert build_chart("x", [("a", positive, [])], columns=10, log=True).log_y


def test_several_runs_share_the_axes_and_a_range_cuts_each() -> None:
    a, b = _loss(1000), _loss(400)
    chart = build_chart("train/loss", [("a", a, []), ("b", b, [])], columns=100, start=100, stop=600)
    assert (chart.x_min, chart.x_max) == (100, 600)
    assert [int(line.steps[0]) for line in chart.lines] == [100, 100]
    assert int(chart.lines[1].steps[-1]) == 399


def test_fractions_map_the_range_and_skip_what_cannot_be_placed() -> None:
    series = MetricSeries("x", np.arange(3), np.array([0.1, 10.0, np.nan]))
    chart = build_chart("x", [("a", series, [])], columns=10, log=True)
    fractions = chart.y_fraction(np.array([0.1, 10.0, np.nan, -1.0]))
    assert fractions[0] == 0.0 and fractions[1] == 1.0 and np.isnan(fractions[2]) and np.isnan(fractions[3])


def test_ticks_are_round() -> None:
    assert ticks(0.0, 1.0, 5) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert ticks(0, 1_000_000, 5) == [0.0, 200_000.0, 400_000.0, 600_000.0, 800_000.0, 1_000_000.0]
    assert ticks(1e-6, 1.0, 5, log=True) == [1e-6, 1e-4, 1e-2, 1.0]
    assert ticks(0.2, 30.0, 5, log=True) == [0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
