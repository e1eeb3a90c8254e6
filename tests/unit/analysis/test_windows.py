"""The linear-time window primitives agree with their naive definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwise.domain.analysis.windows import (
    block_mads,
    block_medians,
    diff_noise,
    rolling_max,
    rolling_mean_std,
    rolling_min,
    runs,
)

arrays = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200).map(np.array)


@settings(max_examples=100, deadline=None)
@given(arrays, st.integers(1, 50))
def test_rolling_extremes_match_naive(x: np.ndarray, window: int) -> None:
    naive_min = np.array([x[max(0, i - window + 1) : i + 1].min() for i in range(x.size)])
    naive_max = np.array([x[max(0, i - window + 1) : i + 1].max() for i in range(x.size)])
    np.testing.assert_array_equal(rolling_min(x, window), naive_min)
    np.testing.assert_array_equal(rolling_max(x, window), naive_max)


@settings(max_examples=100, deadline=None)
@given(arrays, st.integers(1, 50))
def test_rolling_mean_std_match_numpy(x: np.ndarray, window: int) -> None:
    w = min(window, x.size)
    mean, std = rolling_mean_std(x, w)
    windows = np.lib.stride_tricks.sliding_window_view(x, w)
    scale = max(1.0, float(np.abs(x).max()))
    np.testing.assert_allclose(mean, windows.mean(axis=1), atol=1e-9 * scale)
    np.testing.assert_allclose(std, windows.std(axis=1), atol=1e-6 * scale)


@settings(max_examples=100, deadline=None)
@given(arrays, st.integers(1, 40))
def test_block_medians_and_mads_match_naive(x: np.ndarray, size: int) -> None:
    chunks = [x[i : i + size] for i in range(0, x.size, size)]
    med = block_medians(x, size)
    np.testing.assert_array_equal(med, [np.median(c) for c in chunks])
    np.testing.assert_array_equal(block_mads(x, size, med), [np.median(np.abs(c - np.median(c))) for c in chunks])


@pytest.mark.parametrize(
    ("mask", "gap", "expected"),
    [
        ([0, 1, 1, 0, 0, 1], 0, ([1, 5], [2, 5])),
        ([0, 1, 1, 0, 0, 1], 2, ([1], [5])),
        ([0, 0], 0, ([], [])),
        ([1, 0, 1, 0, 1], 1, ([0], [4])),
    ],
)
def test_runs(mask: list[int], gap: int, expected: tuple[list[int], list[int]]) -> None:
    starts, ends = runs(np.array(mask, dtype=bool), gap)
    assert (starts.tolist(), ends.tolist()) == expected


def test_diff_noise_ignores_trend() -> None:
    rng = np.random.default_rng(0)
    noisy = np.linspace(10, 0, 5000) + rng.normal(0, 0.5, 5000)
    assert diff_noise(noisy) == pytest.approx(0.5, rel=0.1)


def test_rolling_moments_survive_huge_values() -> None:
    with np.errstate(all="raise"):
        mean, std = rolling_mean_std(np.array([1.0, 1e200, 1e300, 2.0]), 2)
    assert mean.size == std.size == 3
