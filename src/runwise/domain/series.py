"""Pure numpy operations on series: statistics, extreme-preserving downsampling, sparklines, trends."""

from __future__ import annotations

import math

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.medians import percentile
from runwise.domain.model import MetricSeries
from runwise.domain.shared_repr import fields_repr

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_NONFINITE = "×"  # a bucket holding NaN/Inf is shown, never dropped
TREND_NONFINITE = "×"  # the series ends in NaN/Inf: it has no direction, it has broken


@attrs.frozen
class SeriesStats:
    """Whole-series statistics; NaN/Inf are counted, never averaged."""

    __repr__ = fields_repr

    key: str
    count: int
    nonfinite: int
    first_nonfinite_step: int | None
    first: float | None
    last: float | None
    last_step: int | None
    min: float | None
    min_step: int | None
    max: float | None
    max_step: int | None
    mean: float | None
    std: float | None
    first_step: int | None


def stats(series: MetricSeries) -> SeriesStats:
    """Statistics over every point of the series."""
    with np.errstate(over="ignore", invalid="ignore"):  # a blown-up run (1e200) overflows std, not us
        return _stats(series)


def _stats(series: MetricSeries) -> SeriesStats:
    values, steps = series.values, series.steps
    finite = np.isfinite(values)
    n_bad = int(values.size - np.count_nonzero(finite))
    first_bad = int(steps[np.argmin(finite)]) if n_bad else None
    if not finite.any():
        # first/last are what was logged (NaN, ±Inf), as when only some points are non-finite
        first, last = (float(values[0]), float(values[-1])) if values.size else (None, None)
        return SeriesStats(
            series.key, int(values.size), n_bad, first_bad, first, last, series.last_step,
            None, None, None, None, None, None, series.first_step,
        )  # fmt: skip
    good_v, good_s = values[finite], steps[finite]
    i_min, i_max = int(np.argmin(good_v)), int(np.argmax(good_v))
    last = float(values[-1])
    return SeriesStats(
        key=series.key,
        count=int(values.size),
        nonfinite=n_bad,
        first_nonfinite_step=first_bad,
        first=float(values[0]),
        last=last,
        last_step=series.last_step,
        min=float(good_v[i_min]),
        min_step=int(good_s[i_min]),
        max=float(good_v[i_max]),
        max_step=int(good_s[i_max]),
        mean=float(good_v.mean()),
        std=float(good_v.std()),
        first_step=series.first_step,
    )


def last_finite(series: MetricSeries) -> tuple[float | None, int | None]:
    """The last finite value and its step (None when the series has none)."""
    finite = np.flatnonzero(np.isfinite(series.values))
    if finite.size == 0:
        return None, None
    i = int(finite[-1])
    return float(series.values[i]), int(series.steps[i])


def nonfinite_label(value: float) -> str:
    """'NaN', 'Inf' or '-Inf'."""
    return "NaN" if math.isnan(value) else ("Inf" if value > 0 else "-Inf")


def nonfinite_tail(series: MetricSeries) -> tuple[str, int] | None:
    """How a series ends when it ends in NaN/Inf: the label of its last point and the step from which every
    point is non-finite (None when the last point is finite or there are no points).

    Such a series has no valid last value: its last finite point is stale, from before the run broke.
    """
    values = series.values
    if values.size == 0 or np.isfinite(values[-1]):
        return None
    finite = np.flatnonzero(np.isfinite(values))
    start = int(finite[-1]) + 1 if finite.size else 0
    return nonfinite_label(float(values[-1])), int(series.steps[start])


def best(series: MetricSeries, higher_is_better: bool) -> tuple[float | None, int | None]:
    """The best finite value and the step it was first reached."""
    values = series.values
    finite = np.isfinite(values)
    if not finite.any():
        return None, None
    masked = np.where(finite, values, -np.inf if higher_is_better else np.inf)
    i = int(np.argmax(masked) if higher_is_better else np.argmin(masked))
    return float(values[i]), int(series.steps[i])


def downsample_indices(values: NDArray[np.float64], target: int) -> NDArray[np.int64]:
    """Indices of at most ~`target` points that keep each bucket's min, max and non-finite points.

    Spikes and NaNs survive because every bucket contributes its extremes, not a sample.
    """
    n = values.size
    if n <= target or target <= 0:
        return np.arange(n, dtype=np.int64)
    buckets = max(1, target // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    starts = edges[:-1]
    finite = np.isfinite(values)
    safe_hi = np.where(finite, values, -np.inf)
    safe_lo = np.where(finite, values, np.inf)
    # per-bucket argmax/argmin via reduceat on values, then locate indices
    max_vals = np.maximum.reduceat(safe_hi, starts)
    min_vals = np.minimum.reduceat(safe_lo, starts)
    bucket_of = np.repeat(np.arange(buckets), np.diff(edges))
    is_max = safe_hi == max_vals[bucket_of]
    is_min = safe_lo == min_vals[bucket_of]
    keep = np.zeros(n, dtype=bool)
    # first max and first min per bucket
    for mask in (is_max, is_min):
        hits = np.flatnonzero(mask)
        first_hit = np.unique(bucket_of[hits], return_index=True)[1]
        keep[hits[first_hit]] = True
    nonfinite = np.flatnonzero(~finite)
    if nonfinite.size:
        # the first non-finite point of each bucket is kept so a NaN is always visible
        first_bad = np.unique(bucket_of[nonfinite], return_index=True)[1]
        keep[nonfinite[first_bad]] = True
    keep[0] = keep[-1] = True
    return np.flatnonzero(keep).astype(np.int64)


def downsample(series: MetricSeries, target: int) -> MetricSeries:
    """An output-only copy with about `target` points, extremes and non-finite points kept."""
    idx = downsample_indices(series.values, target)
    wall = None if series.wall_time is None else series.wall_time[idx]
    return MetricSeries(series.key, series.steps[idx], series.values[idx], wall)


def sparkline(values: NDArray[np.float64], width: int = 16) -> str:
    """Unicode sparkline of bucket means; a bucket with a non-finite value shows as ×."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _sparkline(values, width)


def _sparkline(values: NDArray[np.float64], width: int) -> str:
    n = values.size
    if n == 0:
        return ""
    width = min(width, n)
    edges = np.linspace(0, n, width + 1).astype(np.int64)
    finite = np.isfinite(values)
    sums = np.add.reduceat(np.where(finite, values, 0.0), edges[:-1])
    counts = np.add.reduceat(finite.astype(np.int64), edges[:-1])
    bad = np.add.reduceat((~finite).astype(np.int64), edges[:-1]) > 0
    means = sums / counts
    ok = (counts > 0) & ~bad
    if not ok.any():
        return SPARK_NONFINITE * width
    lo, hi = float(means[ok].min()), float(means[ok].max())
    span = hi - lo
    chars = []
    for i in range(width):
        if not ok[i]:
            chars.append(SPARK_NONFINITE)
        elif span <= 0 or not math.isfinite(span):
            chars.append(SPARK_BLOCKS[3])
        else:
            level = int((means[i] - lo) / span * (len(SPARK_BLOCKS) - 1) + 0.5)
            chars.append(SPARK_BLOCKS[level])
    return "".join(chars)


def trend(series: MetricSeries, tail_fraction: float = 0.2, min_points: int = 5) -> str:
    """Direction over the trailing part of the run: ↑, ↓, → (flat), ? (too little finite data), or × when the
    series ends in NaN/Inf (the finite points before say nothing about where it is now).

    The two halves of the tail window are compared: a move counts when it is clear of the noise
    (|t| > 3) and at least 1% of the series' whole range, so SGD noise reads as flat and a loss
    still creeping down reads as falling. Invariant to positive scaling and to shifting steps.
    """
    if series.values.size and not np.isfinite(series.values[-1]):
        return TREND_NONFINITE
    values = series.values[np.isfinite(series.values)]
    if values.size < min_points:
        return "?"
    with np.errstate(over="ignore", invalid="ignore"):
        return _trend(values, tail_fraction, min_points)


def _trend(values: NDArray[np.float64], tail_fraction: float, min_points: int) -> str:
    window = max(min_points, int(values.size * tail_fraction))
    tail = values[-window:]
    half = tail.size // 2
    early, late = tail[:half], tail[half:]
    change = float(late.mean() - early.mean())
    span = float(percentile(values, 95) - percentile(values, 5))
    if span <= 0:
        span = float(values.max() - values.min())
    if span <= 0 or abs(change) < 0.01 * span:
        return "→"
    noise = math.sqrt(float(early.var()) / max(1, early.size) + float(late.var()) / max(1, late.size))
    if noise > 0 and abs(change) / noise < 3.0:
        return "→"
    return "↑" if change > 0 else "↓"
