"""Linear-time window primitives shared by the detectors: block medians, rolling extremes, rolling moments, runs.

Every detector runs on every point of a series, so nothing here may be quadratic or loop in Python per point.
A true rolling median is O(n log w); block medians (one partition per block) are O(n) and robust enough to be
the "local level" against which spikes and rises are judged.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from runwise.domain.medians import median
from runwise.domain.model import MetricSeries

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def finite_points(series: MetricSeries) -> tuple[IntArray, FloatArray]:
    """Steps and values of the finite points only (non-finite points are the nan_inf detector's business)."""
    finite = np.isfinite(series.values)
    if finite.all():
        return series.steps, series.values
    return series.steps[finite], series.values[finite]


def block_size(n: int, blocks: int, lo: int, hi: int) -> int:
    """Points per block so that a series has about `blocks` blocks, within [lo, hi]."""
    return int(min(max(n // max(blocks, 1), lo), max(hi, lo)))


def block_medians(values: FloatArray, size: int) -> FloatArray:
    """Median of each consecutive block of `size` points (the last block may be shorter)."""
    n = values.size
    full = n // size
    parts: list[FloatArray] = []
    if full:
        parts.append(median(values[: full * size].reshape(full, size), axis=1))
    if n - full * size:
        parts.append(np.array([median(values[full * size :])]))
    return np.concatenate(parts) if parts else np.empty(0)


def block_mads(values: FloatArray, size: int, medians: FloatArray) -> FloatArray:
    """Median absolute deviation of each block around its median."""
    per_point = np.repeat(medians, size)[: values.size]
    return block_medians(np.abs(values - per_point), size)


def spread_per_block(values: FloatArray, size: int) -> FloatArray:
    """Robust noise per block: 1.4826 × MAD, the standard deviation of Gaussian noise."""
    medians = block_medians(values, size)
    return 1.4826 * block_mads(values, size, medians)


def per_point(block_values: FloatArray, size: int, n: int) -> FloatArray:
    """Spread one value per block back over the block's points."""
    return np.repeat(block_values, size)[:n]


def _rolling_extreme(x: FloatArray, window: int, ufunc: np.ufunc, fill: float) -> FloatArray:
    """Van Herk / Gil-Werman: prefix and suffix extremes inside fixed blocks give any window's extreme in O(n)."""
    n = x.size
    if window <= 1 or n == 0:
        return x.copy()
    window = min(window, n)
    pad = (-n) % window
    padded = np.concatenate([x, np.full(pad, fill)]) if pad else x
    blocks = padded.reshape(-1, window)
    prefix = ufunc.accumulate(blocks, axis=1).reshape(-1)
    suffix = ufunc.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    out = np.empty(n)
    out[: window - 1] = ufunc.accumulate(x[: window - 1])
    out[window - 1 :] = ufunc(suffix[: n - window + 1], prefix[window - 1 : n])
    return out


def rolling_min(x: FloatArray, window: int) -> FloatArray:
    """Minimum of the `window` points ending at each index (fewer at the start)."""
    return _rolling_extreme(x, window, np.minimum, np.inf)


def rolling_max(x: FloatArray, window: int) -> FloatArray:
    """Maximum of the `window` points ending at each index (fewer at the start)."""
    return _rolling_extreme(x, window, np.maximum, -np.inf)


def rolling_mean_std(x: FloatArray, window: int) -> tuple[FloatArray, FloatArray]:
    """Mean and (population) standard deviation of each full window, by cumulative sums: O(n).

    Values are centred on their global mean first so the sums of squares do not cancel catastrophically.
    Output index i is the window ending at point i + window - 1.
    """
    n = x.size
    window = max(1, min(window, n))
    with np.errstate(over="ignore", invalid="ignore"):  # a blown-up loss (1e200) overflows its squares: inf/NaN
        centre = float(np.mean(x)) if n else 0.0
        d = x - centre if np.isfinite(centre) else x
        c1 = np.concatenate([[0.0], np.cumsum(d)])
        c2 = np.concatenate([[0.0], np.cumsum(d * d)])
        s1 = c1[window:] - c1[:-window]
        s2 = c2[window:] - c2[:-window]
        mean = s1 / window
        var = np.maximum(s2 / window - mean * mean, 0.0)
        return mean + (centre if np.isfinite(centre) else 0.0), np.sqrt(var)


def runs(mask: NDArray[np.bool_], max_gap: int = 0) -> tuple[IntArray, IntArray]:
    """Inclusive start and end indices of the runs of True, runs closer than `max_gap` False points merged."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = idx[np.concatenate([[0], breaks + 1])]
    ends = idx[np.concatenate([breaks, [idx.size - 1]])]
    return starts.astype(np.int64), ends.astype(np.int64)


def diff_noise(values: FloatArray) -> float:
    """Point-to-point noise of a series, robust to its trend and to outliers (MAD of first differences / √2)."""
    if values.size < 3:
        return 0.0
    d = np.diff(values)
    return float(1.4826 * median(np.abs(d - median(d))) / np.sqrt(2.0))


def end_level(values: FloatArray) -> float:
    """The level a series ends at: the median of its last 5% (at least one point), so one noisy batch does not
    stand for it; a short series (under 20 points) ends at its last point. One definition, so the headline and
    the detectors quote the same figure for "where the training loss ended"."""
    if values.size < 20:
        return float(values[-1])
    return float(median(values[-max(1, values.size // 20) :]))


def median_between(steps: IntArray, values: FloatArray, lo: float, hi: float) -> float | None:
    """Median of the points with lo <= step <= hi, or None when there are none."""
    a = int(np.searchsorted(steps, lo, side="left"))
    b = int(np.searchsorted(steps, hi, side="right"))
    return float(median(values[a:b])) if b > a else None
