"""Every row of one metric out of SQLite as three comma-separated integer texts, exact to the bit.

Why: Python's sqlite3 builds a tuple per row, and that costs about 300 ns a row before any column is
read (measured: `SELECT NULL` over 800k rows 0.25 s CPU), far more than SQLite's own scan of the
covering index (`count(*)` 0.035 s). An aggregate keeps the whole scan inside SQLite: one row comes
back per metric, holding `group_concat` texts that numpy parses at ~15 ns a number.

Integers are exact in text; doubles are not cheap to print exactly in SQLite (`printf('%!.20e')`
costs more than the per-row fetch, and 15-digit formats are lossy). So each value leaves SQLite as
an integer code `m * 64 + j`: bucket `j` (0..61) says the value's binary exponent lies in
[LO + 4j, LO + 4j + 3] (LO = -128), found with a few comparisons against exact powers of two, and
`m = value * 2**(52 - LO - 4j)` is then a whole number below 2**56 (a double has 53 significant bits,
so scaling it by a power of two that lifts its lowest bit to 2**0 or above loses nothing). Back in numpy,
`ldexp(m, LO + 4j - 52)` gives the very same double. The powers of two are bound as parameters, not
written as literals, so SQLite's decimal parsing can't round them. Two codes are reserved: 63 for
MLflow's NaN rows (`is_nan`), 62 for values outside [2**-128, 2**120) apart from zero (subnormals,
MLflow's ±1.8e308 stand-in for ±Inf, huge values): those few rows are fetched by a second query in
the same read transaction and the same index order, and checked against the steps and times of the
places they fill.

Measured in one process on the 100k x 8 bench store (bench/bench_mlflow.py, SQLite 3.40.1, CPU s):
the whole read (query, parse, decode) 0.35 against 0.71 for the per-row fetch it replaces. Of the
SQLite side, the bucket comparisons cost about as much as `log2`/`pow` (0.09 vs 0.10 over the scan),
and integer `group_concat` about 50 ns a row and column.
"""

from __future__ import annotations

import sqlite3

import numpy as np
from numpy.typing import NDArray

LOWEST = -128  # binary exponent of the lowest bucket
WIDTH = 4  # exponents per bucket
BUCKETS = 62  # codes 0..61 hold values; 62: read apart; 63: NaN
APART, NAN = 62, 63
_TOP, _BOTTOM = 2.0 ** (LOWEST + WIDTH * BUCKETS), 2.0**LOWEST
# parameters 1-2 are the metric key and run id; then thresholds and scales, bound as exact doubles
_FIRST = 3
_THRESHOLDS = [2.0 ** (LOWEST + WIDTH * j) for j in range(BUCKETS + 1)]
_SCALES = [2.0 ** (52 - LOWEST - WIDTH * j) for j in range(BUCKETS)]
PARAMETERS: tuple[float, ...] = (*_THRESHOLDS, *_SCALES)


def _threshold(j: int) -> str:
    return f"?{_FIRST + j}"


def _scale(j: int) -> str:
    return f"?{_FIRST + len(_THRESHOLDS) + j}"


def _tree(lo: int, hi: int, negative: bool) -> str:
    """The code of a value known to lie in buckets [lo, hi): a binary search over their bounds."""
    if hi - lo == 1:
        return f"CAST(value * {_scale(lo)} AS INTEGER) * 64 + {lo}"
    mid = (lo + hi) // 2
    test = f"value > -{_threshold(mid)}" if negative else f"value < {_threshold(mid)}"
    return f"CASE WHEN {test} THEN {_tree(lo, mid, negative)} ELSE {_tree(mid, hi, negative)} END"


_CODE = (
    f"CASE WHEN is_nan THEN {NAN} WHEN value = 0 THEN 0 WHEN value > 0 THEN "
    f"CASE WHEN value >= {_threshold(BUCKETS)} OR value < {_threshold(0)} THEN {APART} ELSE {_tree(0, BUCKETS, False)} END "
    f"ELSE CASE WHEN value <= -{_threshold(BUCKETS)} OR value > -{_threshold(0)} THEN {APART} "
    f"ELSE {_tree(0, BUCKETS, True)} END END"
)
_WHERE = " FROM metrics WHERE key = ?1 AND run_uuid = ?2"
COLUMNS_SQL = (
    "SELECT count(*), CAST(group_concat(CAST(step AS INTEGER)) AS BLOB), "
    f"CAST(group_concat(CAST(timestamp AS INTEGER)) AS BLOB), CAST(group_concat({_CODE}) AS BLOB)" + _WHERE
)
# the rows coded APART, in the scan order of COLUMNS_SQL (same index, same constraint)
APART_SQL = f"SELECT step, timestamp, value{_WHERE} AND NOT is_nan AND ({_CODE}) = {APART}"


class NotBulkReadable(Exception):
    """The rows did not come out as expected (a value that is not a number, a row changing under us)."""


def read_columns(
    conn: sqlite3.Connection, run_id: str, key: str
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64]]:
    """(steps, stored values, is_nan, timestamps in ms) of every row of `key`, in index order.

    Values are the doubles as stored: MLflow's 0-for-NaN and ±float-max stand-ins are left for the caller.
    Call inside one read transaction: the second query must see the rows the first one saw."""
    params = (key, run_id, *PARAMETERS)
    count, steps_text, times_text, codes_text = conn.execute(COLUMNS_SQL, params).fetchone()
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0, dtype=np.float64), np.zeros(0, dtype=bool), empty.copy()
    steps, times, codes = (_integers(text, count) for text in (steps_text, times_text, codes_text))
    buckets = codes & 63
    values = np.ldexp((codes >> 6).astype(np.float64), (buckets * WIDTH + (LOWEST - 52)).astype(np.int32))
    is_nan = buckets == NAN
    apart = np.flatnonzero(buckets == APART)
    if apart.size:
        rows = conn.execute(APART_SQL, params).fetchall()
        table = np.array([(s, t) for s, t, _ in rows], dtype=np.int64).reshape(-1, 2)
        if len(rows) != apart.size or not (
            np.array_equal(table[:, 0], steps[apart]) and np.array_equal(table[:, 1], times[apart])
        ):
            raise NotBulkReadable(f"{key}: the rows read apart do not match their places")
        values[apart] = [float(v) for _, _, v in rows]
    return steps, values, is_nan, times


def _integers(text: object, count: int) -> NDArray[np.int64]:
    if not isinstance(text, bytes) or text.count(b",") != count - 1:
        raise NotBulkReadable("a column did not come out as one number per row")
    numbers = np.fromstring(text, dtype=np.int64, sep=",")  # type: ignore[call-overload]
    if numbers.size != count:
        raise NotBulkReadable("a column did not come out as one number per row")
    return numbers  # type: ignore[no-any-return]
