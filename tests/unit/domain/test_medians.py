"""The partial-sort median and percentile give numpy's values bit for bit, NaN included, and never import numpy.ma."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from runwise.domain.medians import median, percentile


def _samples() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out: list[np.ndarray] = []
    for n in (1, 2, 3, 4, 5, 10, 11, 100, 101, 1000):
        out.append(rng.normal(size=n))
        out.append(rng.integers(0, 5, size=n).astype(float))  # ties
        out.append(np.cumsum(rng.integers(1, 4, size=n)))  # int64 steps
        with_nan = rng.normal(size=n)
        with_nan[rng.integers(0, n)] = np.nan
        out.append(with_nan)
    out.append(np.array([np.inf, -np.inf, 1.0, 2.0]))
    out.append(np.array([1e308, 1e308]))
    return out


@pytest.mark.parametrize("values", _samples(), ids=lambda v: f"{v.dtype}-{v.size}")
def test_median_is_numpys_bit_for_bit(values: np.ndarray) -> None:
    with np.errstate(over="ignore"):  # 1e308 + 1e308 overflows in numpy's mean as in ours
        assert np.array_equal(median(values), np.median(values), equal_nan=True)
        assert isinstance(median(values), float)


@pytest.mark.parametrize("values", _samples(), ids=lambda v: f"{v.dtype}-{v.size}")
@pytest.mark.parametrize("q", [0, 5, 12.5, 50, 95, 99.9, 100])
def test_percentile_is_numpys_bit_for_bit(values: np.ndarray, q: float) -> None:
    with np.errstate(invalid="ignore"):  # numpy's own lerp of ±inf
        expected = float(np.percentile(values, q))
    assert np.array_equal(percentile(values, q), expected, equal_nan=True)


@pytest.mark.parametrize("size", [1, 2, 7, 8])
def test_median_of_rows_is_numpys(size: int) -> None:
    rng = np.random.default_rng(size)
    rows = rng.normal(size=(13, size))
    rows[3, 0] = np.nan
    got = median(rows, axis=1)
    assert got.dtype == np.float64
    assert np.array_equal(got, np.median(rows, axis=1), equal_nan=True)


def test_no_values_give_nan_without_a_warning() -> None:
    empty = np.empty(0)
    assert np.isnan(median(empty))
    assert np.isnan(percentile(empty, 50))
    assert median(np.empty((3, 0)), axis=1).shape == (3,)


def test_numpy_ma_is_never_imported() -> None:
    code = (
        "import sys, numpy as np\n"
        "from runwise.domain.medians import median, percentile\n"
        "v = np.array([1.0, np.nan, 3.0]); median(v); median(v.reshape(1, 3), axis=1); percentile(v, 5)\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
