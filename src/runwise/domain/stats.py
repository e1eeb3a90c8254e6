"""Small-sample statistics without scipy: Student-t quantiles, mean ± t·s/√n, trailing-window error.

A single run has no spread across seeds, so its final value's uncertainty comes from its trailing
window: the last 10% of its finite points (at least 8), split into ⌊√n⌋ consecutive batches; the
standard error of the window mean is std(batch means)/√batches, which stays honest when neighbouring
points are autocorrelated, and the interval uses t with batches−1 degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import attrs
import numpy as np

from runwise.domain.model import MetricSeries
from runwise.domain.shared_repr import fields_repr

TRAILING_FRACTION = 0.1
TRAILING_MIN_POINTS = 8
_EXACT_T_MAX_DF = 1000


# Student t ----------------------------------------------------------------------------------------
def _abs_t_cdf(theta: float, df: int) -> float:
    """P(|T| ≤ √df·tan θ) for integer df: the finite series of Abramowitz & Stegun 26.7.3/26.7.4."""
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:
        if df == 1:
            return 2.0 * theta / math.pi
        term = total = math.cos(theta)
        for k in range(3, df - 1, 2):
            term *= c2 * (k - 1) / k
            total += term
        return 2.0 / math.pi * (theta + s * total)
    term = total = 1.0
    for k in range(2, df - 1, 2):
        term *= c2 * (k - 1) / k
        total += term
    return s * total


def t_quantile(p: float, df: int) -> float:
    """The p-quantile of Student's t with integer df ≥ 1 (exact to ~1e-12 up to df 1000, Cornish-Fisher above)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie in (0, 1), got {p}")
    if df < 1 or int(df) != df:
        raise ValueError(f"df must be a positive integer, got {df}")
    df = int(df)
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if df > _EXACT_T_MAX_DF:
        return _cornish_fisher(p, df)
    target = 2.0 * p - 1.0  # two-sided coverage
    lo, hi = 0.0, math.pi / 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _abs_t_cdf(mid, df) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-16:
            break
    return math.sqrt(df) * math.tan(0.5 * (lo + hi))


def _cornish_fisher(p: float, df: int) -> float:
    """Asymptotic expansion of the t quantile in 1/df around the normal one (A&S 26.7.5)."""
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def t_critical(confidence: float, df: int) -> float:
    """The two-sided critical value: P(|T| ≤ t) = confidence."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    return t_quantile(0.5 + confidence / 2.0, df)


# estimates ----------------------------------------------------------------------------------------
@attrs.frozen
class Estimate:
    """Mean of n values with sample std (ddof=1) and a Student-t interval; spread is None for n = 1."""

    __repr__ = fields_repr

    mean: float
    std: float | None
    n: int
    low: float | None
    high: float | None
    confidence: float

    @property
    def half_width(self) -> float | None:
        return None if self.high is None else self.high - self.mean


def estimate(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean ± t·s/√n over finite values (at least one)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise ValueError("no values to estimate from")
    mean = float(data.mean())
    if data.size == 1:
        return Estimate(mean, None, 1, None, None, confidence)
    std = float(data.std(ddof=1))
    half = t_critical(confidence, int(data.size) - 1) * std / math.sqrt(data.size)
    return Estimate(mean, std, int(data.size), mean - half, mean + half, confidence)


@attrs.frozen
class TrailingEstimate:
    """A single run's settled value: the trailing window's mean with a batch-means standard error."""

    __repr__ = fields_repr

    last: float  # the final finite value
    window_mean: float
    se: float | None
    low: float | None
    high: float | None
    points: int
    batches: int
    from_step: int
    to_step: int
    confidence: float


def trailing_estimate(
    series: MetricSeries,
    *,
    fraction: float = TRAILING_FRACTION,
    min_points: int = TRAILING_MIN_POINTS,
    confidence: float = 0.95,
) -> TrailingEstimate | None:
    """Uncertainty of a run's final value from its trailing window (see the module docstring); None if no data."""
    finite = np.isfinite(series.values)
    values, steps = series.values[finite], series.steps[finite]
    if values.size == 0:
        return None
    window = min(values.size, max(min_points, int(math.ceil(values.size * fraction))))
    tail, tail_steps = values[-window:], steps[-window:]
    batches = int(math.isqrt(window))
    if window < min_points or batches < 2:
        return TrailingEstimate(
            float(values[-1]), float(tail.mean()), None, None, None, window, 0,
            int(tail_steps[0]), int(tail_steps[-1]), confidence,
        )  # fmt: skip
    size = window // batches
    used = tail[-batches * size :]
    means = used.reshape(batches, size).mean(axis=1)
    center = float(used.mean())
    se = float(means.std(ddof=1) / math.sqrt(batches))
    half = t_critical(confidence, batches - 1) * se
    return TrailingEstimate(
        last=float(values[-1]),
        window_mean=center,
        se=se,
        low=center - half,
        high=center + half,
        points=int(used.size),
        batches=batches,
        from_step=int(tail_steps[-used.size]),
        to_step=int(tail_steps[-1]),
        confidence=confidence,
    )
