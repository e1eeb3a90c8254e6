"""value_json texts parsed as float64, many at a time (NaN and ±Infinity kept, non-numbers flagged)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local import floats
from runwise.adapters.sources.wandb_local.wire import I64, ROW_MASKS, Mask, fixed, words

_NUMERIC_FIRST = np.zeros(256, bool)
_NUMERIC_FIRST[list(b"-0123456789NI")] = True  # JSON numbers, NaN, Infinity, -Infinity
_NUMBER_WIDTH = 24  # longer than any float or int64 that json/Go writes
_WORD_MASKS = ROW_MASKS[: _NUMBER_WIDTH + 1]


def numbers(u: NDArray[np.uint8], w: NDArray[np.uint64], start: I64, end: I64) -> tuple[NDArray[np.float64], Mask]:
    """Parse value_json spans as float64; the mask is False for non-numbers (strings, media, bools).

    The spans are copied into a compact fixed-width array (24 bytes each, one after the other,
    so that parsing reads stay in cache) and parsed exactly by `floats`, with numpy's own cast and
    then Python's float as fallbacks.
    """
    size = end - start
    out = np.full(start.size, np.nan)
    numeric = _NUMERIC_FIRST[u[start]] & (size >= 1)
    short = np.nonzero(numeric & (size <= _NUMBER_WIDTH))[0]
    if short.size:
        width = size[short]
        lead = _NUMBER_WIDTH  # digit reads may start up to 24 bytes before a number
        compact = np.zeros(lead + short.size * _NUMBER_WIDTH + 16, np.uint8)
        body = compact[lead : lead + short.size * _NUMBER_WIDTH]
        body.view(f"V{_NUMBER_WIDTH}")[:] = fixed(u, _NUMBER_WIDTH)[start[short]]
        packed = body.view("<u8").reshape(-1, 3)
        packed &= _WORD_MASKS[width]
        # Metrics such as lr, epoch or memory repeat their last value for long stretches: parse
        # each run of identical texts once when that saves enough.
        fresh = np.ones(short.size, bool)
        changed = packed[1:] != packed[:-1]
        fresh[1:] = changed[:, 0] | changed[:, 1] | changed[:, 2]
        distinct = np.nonzero(fresh)[0]
        every = distinct.size > 0.8 * short.size
        if not every:
            compact = np.zeros(lead + distinct.size * _NUMBER_WIDTH + 16, np.uint8)
            compact[lead : lead + distinct.size * _NUMBER_WIDTH] = packed[distinct].view(np.uint8).reshape(-1)
            width = width[distinct]
        count = width.size
        text = compact[lead : lead + count * _NUMBER_WIDTH].view(f"S{_NUMBER_WIDTH}")
        at = lead + np.arange(count, dtype=np.int64) * _NUMBER_WIDTH
        parsed, done = floats.parse(compact, words(compact), text, at, width)
        rest = np.nonzero(~done)[0]
        if rest.size:
            try:
                parsed[rest] = text[rest].astype(np.float64)
            except ValueError:
                parsed[rest] = [_number(t) for t in text[rest].tolist()]
        out[short] = parsed if every else parsed[np.cumsum(fresh) - 1]
    for i in np.nonzero(numeric & (size > _NUMBER_WIDTH))[0].tolist():
        out[i] = _number(u[start[i] : end[i]].tobytes())
    ok = numeric.copy()
    bad = np.isnan(out) & numeric
    if bad.any():  # a parsed NaN is only a failure when the text was not "NaN"
        ok[bad] = u[start[bad]] == ord("N")
    return out, ok


def _number(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
