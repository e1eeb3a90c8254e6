"""Stability of a metric: rolling standard deviation and coefficient of variation, in linear time.

Rolling moments come from cumulative sums (one pass, no per-window loop), so a million points take milliseconds;
the tool this replaces recomputed every window and ran out of memory at 100k steps. Small windows follow the
trend, so the rolling std measures noise rather than progress; the late-training CV (over the last fifth of the
points) is the figure the instability detector judges.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from runwise.domain.analysis.windows import FloatArray, IntArray, finite_points, rolling_mean_std
from runwise.domain.model import MetricSeries
from runwise.domain.series import nonfinite_tail
from runwise.domain.shared_repr import fields_repr

LATE_FRACTION = 0.2
STABLE_CV = 0.05
NOISY_CV = 0.25


@attrs.frozen(eq=False)
class Stability:
    """Noise of one metric over rolling windows, overall and late in training."""

    __repr__ = fields_repr

    key: str
    window: int
    count: int  # finite points analysed
    nonfinite: int
    mean: float | None
    std: float | None
    cv: float | None
    late_start_step: int | None
    late_mean: float | None
    late_std: float | None  # mean rolling std over the late windows: noise, not trend
    late_cv: float | None
    max_std: float | None
    max_std_step: int | None
    steps: IntArray  # step at the end of each rolling window
    rolling_std: FloatArray
    rolling_cv: FloatArray  # NaN where the window mean is 0
    label: str  # "stable", "noisy", "erratic" by late CV, "too short", or "ends in NaN" / "ends in Inf"
    broken_at: int | None = None  # the step from which the series is non-finite to its end


def default_window(n: int) -> int:
    """About a twentieth of the points: long enough to estimate a spread, short enough to ignore the trend."""
    return max(2, min(max(5, n // 20), 1000, n))


def _ratio(num: float, den: float) -> float | None:
    if den == 0 or not (math.isfinite(num) and math.isfinite(den)):
        return None
    return num / abs(den)


def stability(series: MetricSeries, window: int | None = None) -> Stability:
    """Rolling std and CV of every finite point, overall figures and the late-training CV.

    A series that ends in NaN/Inf is labelled by that ending ("ends in NaN"), not by the noise of the finite
    points before it: a run that blew up is not "noisy".
    """
    measured = _stability(series, window)
    tail = nonfinite_tail(series)
    if tail is None:
        return measured
    return attrs.evolve(measured, label=f"ends in {tail[0]}", broken_at=tail[1])


def _stability(series: MetricSeries, window: int | None) -> Stability:
    steps, values = finite_points(series)
    n = values.size
    nonfinite = int(series.values.size - n)
    empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0)
    if n < 2:
        mean = float(values[0]) if n else None
        return Stability(
            series.key, 0, n, nonfinite, mean, 0.0 if n else None, None, None, None, None, None,
            None, None, empty_i, empty_f, empty_f, "too short",
        )  # fmt: skip
    w = max(2, min(int(window) if window else default_window(n), n))
    roll_mean, roll_std = rolling_mean_std(values, w)
    end_steps = steps[w - 1 :]
    late_from = min(int(n * (1 - LATE_FRACTION)), n - w)
    with np.errstate(all="ignore"):  # values near the float limit (a blown-up loss) overflow: inf, then None
        roll_cv = np.where(roll_mean != 0, roll_std / np.abs(roll_mean), np.nan)
        mean, std = float(np.mean(values)), float(np.std(values))
        late_mean = float(np.mean(values[late_from:]))
        late_std = float(np.mean(roll_std[late_from:]))
    late_cv = _ratio(late_std, late_mean)
    i_max = int(np.nanargmax(roll_std)) if np.isfinite(roll_std).any() else 0
    if late_cv is None:
        label = "erratic" if late_std > 0 else "stable"
    else:
        label = "stable" if late_cv < STABLE_CV else ("noisy" if late_cv < NOISY_CV else "erratic")
    return Stability(
        key=series.key,
        window=w,
        count=n,
        nonfinite=nonfinite,
        mean=mean,
        std=std,
        cv=_ratio(std, mean),
        late_start_step=int(steps[late_from]),
        late_mean=late_mean,
        late_std=late_std,
        late_cv=late_cv,
        max_std=float(roll_std[i_max]),
        max_std_step=int(end_steps[i_max]),
        steps=end_steps,
        rolling_std=roll_std,
        rolling_cv=roll_cv,
        label=label,
    )
