"""Medians and percentiles by partial sorting, with numpy's results and without its `numpy.ma` import.

`np.median` and `np.percentile` look at `np.ma` on every call with a float array (to check for NaN in masked
arrays), and the first look imports `numpy.ma`: 45 M instructions, ~10 ms of every cold `runwise run`
(`valgrind --tool=callgrind python -c "import numpy, numpy.ma"` against `import numpy`). The analysis never sees
a masked array, so these do the same partial sort (`np.partition`) without that check: the same value bit for bit
(tests/unit/domain/test_medians.py compares them with numpy's on random, tied, NaN and integer input), NaN
wherever the input holds one, as numpy gives.
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray


@overload
def median(values: NDArray[Any]) -> float: ...
@overload
def median(values: NDArray[Any], axis: int) -> NDArray[np.float64]: ...
def median(values: NDArray[Any], axis: int | None = None) -> float | NDArray[np.float64]:
    """`np.median(values)` (a float), or per row along `axis` (an array); NaN where a NaN is among the values
    and for no values at all (numpy's answer, without its warning)."""
    a = np.asarray(values)
    if axis is None:
        a = a.ravel()
    along = -1 if axis is None else axis
    n = a.shape[along]
    if n == 0:
        return math.nan if axis is None else np.full(np.delete(a.shape, along), np.nan)
    half = n // 2
    kth = [half - 1, half] if n % 2 == 0 else [half]
    inexact = a.dtype.kind in "fc"
    part = np.partition(a, [*kth, n - 1] if inexact and n - 1 not in kth else kth, axis=along)
    middle = np.take(part, np.arange(kth[0], half + 1), axis=along)
    result = np.mean(middle, axis=along)
    if inexact:
        nan = np.isnan(np.take(part, n - 1, axis=along))  # partitioning puts NaN last
        result = np.where(nan, np.nan, result)
    return float(result) if axis is None else np.asarray(result, dtype=np.float64)


def percentile(values: NDArray[Any], q: float) -> float:
    """`np.percentile(values, q)` with numpy's default linear interpolation; NaN if a NaN is among the values
    and for no values at all."""
    a = np.asarray(values).ravel()
    n = a.size
    if n == 0:
        return math.nan
    at = q / 100 * (n - 1)
    lo = math.floor(at)
    hi = min(lo + 1, n - 1)
    kth = sorted({lo, hi, n - 1})
    part = np.partition(a, kth)
    if a.dtype.kind in "fc" and math.isnan(part[n - 1]):
        return math.nan
    below, above = float(part[lo]), float(part[hi])
    t = at - lo
    # numpy's lerp: from the nearer end, so that t = 1 gives `above` exactly
    return above - (above - below) * (1 - t) if t >= 0.5 else below + (above - below) * t
