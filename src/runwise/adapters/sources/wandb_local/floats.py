"""Exact float parsing of many JSON numbers at once, several times faster than numpy's cast.

numpy parses `S` strings to float64 one by one through Python's float (~0.3 µs a value here): the
largest cost of loading a long run. Here every number is cut into its integer digits, fraction
digits and exponent (`find` on fixed-width strings), the digit runs are read eight at a time as
little-endian words and turned into integers with the SWAR multiply-shift steps of simdjson and
fast_float, and the mantissa and power of ten are combined exactly:

- mantissa below 2**53 and |power| <= 22: one float64 multiplication or division, which is
  correctly rounded (Clinger's fast path);
- otherwise, on x86's 80-bit long double: one rounding to 64 bits, then to 53. That double
  rounding can only be wrong when the first result lands exactly halfway between two doubles,
  and exactly those values go to the slow path;
- anything else (NaN and infinities aside: huge exponents, very long numbers, other spellings,
  other platforms) goes to numpy's own cast.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

WIDTH = 24
_U = np.uint64
_ZEROS = _U(0x3030303030303030)
_LOW = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)  # low k bytes
_KEEP = ~_LOW
_FILL = _ZEROS & _LOW
_MASK = _U(0x000000FF000000FF)
_MUL1 = _U(0x000F424000000064)  # 100 + (1000000 << 32)
_MUL2 = _U(0x0000271000000001)  # 1 + (10000 << 32)
_POW10_INT = np.array([10**k for k in range(20)], dtype=np.uint64)
_POW10 = np.array([10.0**k for k in range(23)])
_LONG_DOUBLE = np.finfo(np.longdouble).nmant == 63 and np.dtype(np.longdouble).itemsize == 16
_POW10_LONG = np.array([np.longdouble(10) ** k for k in range(28)], dtype=np.longdouble)


def _eight(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Eight ASCII digits (first digit in the lowest byte) as an integer."""
    x = x - _ZEROS
    x = x * _U(10) + (x >> _U(8))
    return (((x & _MASK) * _MUL1) + (((x >> _U(16)) & _MASK) * _MUL2)) >> _U(32)


def _all_digits(x: NDArray[np.uint64]) -> NDArray[np.bool_]:
    return (((x + _U(0x4646464646464646)) | (x - _ZEROS)) & _U(0x8080808080808080)) == 0  # type: ignore[no-any-return]


def digit_run(
    w: NDArray[np.uint64], at: NDArray[np.int64], count: NDArray[np.int64]
) -> tuple[NDArray[np.uint64], NDArray[np.bool_]]:
    """The integer written by the `count` (0..24) ASCII digits at `at`, and whether it is exact.

    Digits are read right-aligned in up to three words; bytes before the run are replaced by '0'.
    The caller guarantees 24 readable bytes before every run.
    """
    value = np.zeros(at.size, np.uint64)
    ok = np.ones(at.size, bool)
    for top in (24, 16, 8):
        need = count > top - 8
        if not need.any():
            continue
        pad = np.clip(top - count, 0, 8)
        x = w[at + count - top]
        x &= _KEEP[pad]
        x |= _FILL[pad]
        ok &= _all_digits(x)
        chunk = _eight(x)
        if top == 24:
            ok &= (count <= 19) | (chunk < 1000)  # more would overflow 64 bits
        value = value * _U(100_000_000) + chunk
    return value, ok


def parse(
    u: NDArray[np.uint8],
    w: NDArray[np.uint64],
    text: NDArray[np.bytes_],
    start: NDArray[np.int64],
    size: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Numbers at `u[start:start+size]` (also given as fixed-width `text`); False where not parsed here."""
    n = start.size
    out = np.zeros(n)
    first, second = u[start], u[start + 1]
    negative = first == ord("-")
    dot = np.strings.find(text, b".")
    exp_at = np.strings.find(text, b"e")
    mant_end = np.where(exp_at >= 0, exp_at, size)
    int_end = np.where(dot >= 0, dot, mant_end)
    int_len = int_end - negative
    frac_len = np.where(dot >= 0, mant_end - dot - 1, 0)
    whole, ok = digit_run(w, start + negative, int_len)
    frac, ok_frac = digit_run(w, start + dot + 1, frac_len)
    ok &= ok_frac & (int_len >= 1) & (frac_len <= 24) & ((dot < 0) | (frac_len >= 1))
    ok &= (whole == 0) | (int_len + frac_len <= 19)
    mantissa = np.where(whole == 0, frac, whole * _POW10_INT[np.minimum(frac_len, 19)] + frac)
    power = -frac_len + _exponents(u, w, start, size, exp_at, ok)
    small = ok & (mantissa < _U(1 << 53)) & (np.abs(power) <= 22)
    m = mantissa[small].astype(np.float64)
    p = power[small]
    out[small] = np.where(p >= 0, m * _POW10[np.clip(p, 0, 22)], m / _POW10[np.clip(-p, 0, 22)])
    done = small.copy()
    if _LONG_DOUBLE:
        big = np.nonzero(ok & ~small & (np.abs(power) <= 27))[0]
        if big.size:
            m_long = mantissa[big].astype(np.longdouble)
            p = power[big]
            scale = _POW10_LONG[np.abs(p)]
            rounded = np.where(p >= 0, m_long * scale, m_long / scale)
            halfway = (rounded.view(np.uint64).reshape(-1, 2)[:, 0] & _U(0x7FF)) == _U(0x400)
            out[big] = rounded.astype(np.float64)
            done[big] = ~halfway
    out = np.where(negative, -out, out)  # also gives "-0.0" its sign
    special = (first == ord("N")) | (first == ord("I")) | (negative & (second == ord("I")))
    if special.any():
        rows = np.nonzero(special)[0]
        out[rows] = text[rows].astype(np.float64)  # NaN, Infinity, -Infinity
        done[rows] = True
    return out, done


def _exponents(
    u: NDArray[np.uint8],
    w: NDArray[np.uint64],
    start: NDArray[np.int64],
    size: NDArray[np.int64],
    exp_at: NDArray[np.int64],
    ok: NDArray[np.bool_],
) -> NDArray[np.int64]:
    """The signed integer after `e` (one to three digits); rows that do not have one keep 0 or fail `ok`."""
    power = np.zeros(start.size, np.int64)
    rows = np.nonzero(exp_at >= 0)[0]
    if rows.size == 0:
        return power
    at = start[rows] + exp_at[rows] + 1
    sign = u[at]
    signed = (sign == ord("-")) | (sign == ord("+"))
    digits_at = at + signed
    count = start[rows] + size[rows] - digits_at
    value, good = digit_run(w, digits_at, count)
    ok[rows] &= good & (count >= 1) & (count <= 3)
    power[rows] = np.where(sign == ord("-"), -value.astype(np.int64), value.astype(np.int64))
    return power
