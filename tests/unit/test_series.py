from __future__ import annotations

import numpy as np

from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.series import SPARK_NONFINITE, downsample, sparkline, stats, trend


def _noisy(n: int = 100_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.exp(-np.linspace(0, 4, n)) + rng.normal(0, 0.01, n)


def test_downsample_keeps_a_single_spike_and_nan() -> None:
    values = _noisy()
    values[51_234] = 50.0
    values[77_777] = np.nan
    series = MetricSeries("loss", np.arange(values.size), values)
    small = downsample(series, 100)
    assert len(small) <= 110
    assert small.values[np.isfinite(small.values)].max() == 50.0
    assert 51_234 in small.steps.tolist()
    assert 77_777 in small.steps.tolist() and np.isnan(small.values).sum() == 1
    assert small.steps[0] == 0 and small.steps[-1] == values.size - 1


def test_downsample_leaves_short_series_alone() -> None:
    series = MetricSeries("x", [1, 2, 3], [1.0, 2.0, 3.0])
    assert downsample(series, 100) == series


def test_sparkline_shows_non_finite_buckets() -> None:
    values = np.linspace(1, 0, 100)
    values[55] = np.inf
    line = sparkline(values, 10)
    assert len(line) == 10 and line[5] == SPARK_NONFINITE
    assert line[0] == "█" and line[-1] == "▁"


def test_trend_is_scale_and_shift_invariant() -> None:
    values = _noisy(5000)
    a = MetricSeries("loss", np.arange(5000), values)
    b = MetricSeries("loss", np.arange(5000) + 10_000, values * 1000)
    assert trend(a) == trend(b) == "↓"
    flat = MetricSeries("loss", np.arange(100), np.full(100, 3.0))
    assert trend(flat) == "→"


def test_stats_count_nonfinite_and_ignore_them_for_extremes() -> None:
    s = MetricSeries("loss", [0, 1, 2, 3], [2.0, np.nan, 1.0, np.inf])
    st = stats(s)
    assert (st.count, st.nonfinite, st.first_nonfinite_step) == (4, 2, 1)
    assert (st.min, st.min_step, st.max, st.max_step) == (1.0, 2, 2.0, 0)


def test_sorted_series_keeps_the_later_write_of_a_step() -> None:
    s = sorted_series("loss", [0, 1, 2, 1, 2, 3], [1.0, 2.0, 3.0, 20.0, 30.0, 4.0])
    assert s.steps.tolist() == [0, 1, 2, 3]
    assert s.values.tolist() == [1.0, 20.0, 30.0, 4.0]


def test_series_are_immutable() -> None:
    s = MetricSeries("x", [1, 2], [1.0, 2.0])
    assert not s.values.flags.writeable and not s.steps.flags.writeable


def test_blown_up_values_raise_no_warnings() -> None:
    values = np.concatenate([np.linspace(1, 0.1, 50), np.geomspace(1e10, 1e250, 50), [np.nan] * 5])
    s = MetricSeries("loss", np.arange(values.size), values)
    assert trend(s) == "×" and len(sparkline(values, 10)) == 10  # it ends in NaN: no direction
    assert trend(s.until(99)) in "↑↓→?"  # the blown-up finite values alone overflow nothing either
    assert stats(s).max == 1e250
