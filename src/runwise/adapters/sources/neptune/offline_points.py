"""neptune 1.x one-point LogFloats lines of an operation log, decoded in array passes over a block of lines.

A 100k-step x 8-metric run is 800k lines (~151 MB) of the client's `json.dumps`, keys always in this order:

    {"obj": {"type": "LogFloats", "path": ["train", "loss"], "values": [{"value": 0.5, "step": 1, "ts": 1796516056.3}]}, "version": 12, "at": 1796516056.3}

Decoding every line with orjson makes ~10 Python objects per point. Here numpy finds the lines and their
colons; a line is taken when it starts with the bytes above, has exactly nine colons (so none inside its
path) and every constant piece between them sits where the colons say. Its values and times are copied
into one JSON array per place that orjson parses in a single call (so every float is parsed exactly, and
anything that is not one number per place rejects the block's fast path); steps and versions made of
digits only are read by numpy, other steps by orjson; paths are grouped by their bytes (compared in
full), each distinct path decoded once by orjson. Every other line (other operations, `extend` batches,
a colon in a path, anything unexpected) is handed back for orjson one by one, and so is the whole block
when its joined numbers do not parse. The caller reads a log in blocks of whole lines (offline_blocks.py).

bench/bench_neptune.py `offline` data (151 MB), in-process `read_offline` CPU with the collector paused,
interleaved under load ~2: the line regex this replaces 1.45 s, the first version of this 0.55 s; orjson line by
line (the library doing the same job, before building any column) 1.55 s. `decode_log` of one 8 MiB block
(45k lines), the first version against this one alternating in one process, CPU of 40 calls, load ~2.9: min
23.6 -> 17.3 ms, median 26.6 -> 20.9 ms; 362M -> 250M instructions (cachegrind).
"""

from __future__ import annotations

import numpy as np
import orjson
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from runwise.adapters.sources.neptune.byte_keys import LOW_BYTES, group_keys, words

PAD = 136  # zero bytes the caller leaves after the log, so every window below stays inside the buffer
_PREFIX = b'{"obj": {"type": "LogFloats", "path": ['
_COLONS = 9
# the constant pieces after the path: each found from the colon it holds (3 "values" ... 8 "at")
_AFTER_PATH = b'], "values": [{"value": '  # colons 3 and 4
_AFTER_VALUE = b', "step": '  # colon 5
_AFTER_STEP = b', "ts": '  # colon 6
_AFTER_TS = b'}]}, "version": '  # colon 7
_AFTER_VERSION = b', "at": '  # colon 8
_MAX_NUMBER = 32  # longer numbers, and paths longer than _MAX_PATH, are left to orjson line by line
_MAX_PATH = 128
_AT_BYTES = np.zeros(256, dtype=bool)
_AT_BYTES[list(b"0123456789-")] = True  # how a JSON number starts and ends
_NULL = np.frombuffer(b"null", dtype="<u4")[0]
_NUMBER_START = np.zeros(256, dtype=bool)
_NUMBER_START[list(b"-0123456789")] = True  # a JSON value starting so can only be a number


class LogPoints:
    """The points of a log's one-point LogFloats lines, and the lines left for orjson (in log order)."""

    def __init__(
        self,
        keys: list[str],
        code: NDArray[np.int64],
        value: NDArray[np.float64],
        step: NDArray[np.float64],
        ts: NDArray[np.float64],
        version: NDArray[np.int64],
        others: list[bytes],
        at_range: tuple[float, float] | None = None,
        consumed: int = 0,
    ) -> None:
        self.keys = keys
        self.code = code
        self.value = value
        self.step = step  # NaN where the line gave no step
        self.ts = ts
        self.version = version
        self.others = others
        self.at_range = at_range  # the operation times (`at`) of the first and last point taken
        self.consumed = consumed  # bytes of whole lines decoded (up to and with the last newline)


def decode_log(padded: NDArray[np.uint8], size: int) -> LogPoints:
    """The lines of `padded[:size]` (whole lines, each ending in a newline; `PAD` zero bytes follow)."""
    buf = padded[:size]
    marks = np.flatnonzero((buf == ord(":")) | (buf == 0x0A))  # colons and line ends in one pass, in order
    newlines = np.flatnonzero(padded[marks] == 0x0A)  # which marks end a line
    ends = marks[newlines]
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    taken = (ends - starts > len(_PREFIX) + 40) & _pieces(padded, starts, _PREFIX)
    first = np.empty_like(newlines)  # each line's first colon among the marks
    first[:1] = 0
    first[1:] = newlines[:-1] + 1
    lines = np.flatnonzero(taken & (newlines - first == _COLONS))
    colons = marks  # a line with nine colons has them at first .. first + 8
    if lines.size == ends.size:  # every line a point (most blocks): no copies of the line arrays
        points = _decode_lines(padded, lines, starts, ends, colons, first)
    else:
        points = _decode_lines(padded, lines, starts[lines], ends[lines], colons, first[lines])
    kept = lines[points[0]] if points is not None else lines[:0]
    others = np.ones(ends.size, dtype=bool)
    others[kept] = False
    others &= ends > starts
    other_lines = np.flatnonzero(others)
    other_texts = [padded[s:e].tobytes() for s, e in zip(starts[other_lines].tolist(), ends[other_lines].tolist())]
    consumed = int(ends[-1]) + 1 if ends.size else 0
    if points is None:
        empty, none = np.empty(0), np.empty(0, dtype=np.int64)
        return LogPoints([], none, empty, empty, empty, none, other_texts, consumed=consumed)
    _, keys, code, value, step, ts, version, at_first, at_length = points
    times = [
        _float(padded[f : f + n].tobytes()) for f, n in zip(at_first[[0, -1]].tolist(), at_length[[0, -1]].tolist())
    ]
    known = [t for t in times if t is not None]
    at_range = (min(known), max(known)) if known else None
    return LogPoints(keys, code, value, step, ts, version, other_texts, at_range, consumed)


def other_lines(padded: NDArray[np.uint8], size: int) -> list[bytes]:
    """The lines of `padded[:size]` (as for `decode_log`) that are not LogFloats operations, told by their first bytes:
    what a listing decodes (numpy passes, ~5x quicker than a regular expression skipping the LogFloats lines)."""
    ends = np.flatnonzero(padded[:size] == 0x0A)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    lines = np.flatnonzero(~_pieces(padded, starts, _PREFIX) & (ends > starts))
    return [padded[s:e].tobytes() for s, e in zip(starts[lines].tolist(), ends[lines].tolist())]


def _decode_lines(
    padded: NDArray[np.uint8],
    lines: NDArray[np.int64],
    start: NDArray[np.int64],
    end: NDArray[np.int64],
    colons: NDArray[np.int64],
    first: NDArray[np.int64],
) -> (
    tuple[
        NDArray[np.int64],
        list[str],
        NDArray[np.int64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.int64],
        NDArray[np.int64],
        NDArray[np.int64],
    ]
    | None
):
    """(which of `lines` were taken, keys, key code, value, step, ts, version, first byte and length of `at`), or None
    to leave them all to orjson."""
    if not lines.size:
        return None
    c3, c5, c6, c7, c8 = (colons[first + k] for k in (3, 5, 6, 7, 8))  # the colons after the path
    c4 = c3 + 11  # where the piece after the path (checked below) holds the fifth colon
    path_start, path_end = start + len(_PREFIX), c3 - 11
    ok = _pieces(padded, path_end, _AFTER_PATH) & _pieces(padded, c5 - 8, _AFTER_VALUE)
    ok &= _pieces(padded, c6 - 6, _AFTER_STEP) & _pieces(padded, c7 - 14, _AFTER_TS)
    ok &= _pieces(padded, c8 - 6, _AFTER_VERSION) & (padded[end - 1] == ord("}"))
    spans = [  # (first byte, length) of value, step, ts, version, at
        (c4 + 2, c5 - 8 - c4 - 2),
        (c5 + 2, c6 - 6 - c5 - 2),
        (c6 + 2, c7 - 14 - c6 - 2),
        (c7 + 2, c8 - 6 - c7 - 2),
        (c8 + 2, end - 1 - c8 - 2),
    ]
    for _, length in spans:
        ok &= (length >= 1) & (length <= _MAX_NUMBER)
    ok &= (path_end > path_start) & (path_end - path_start <= _MAX_PATH)
    taken = np.flatnonzero(ok)
    if not taken.size:
        return None
    if taken.size < ok.size:
        spans = [(first_byte[taken], length[taken]) for first_byte, length in spans]
        path_start, path_end = path_start[taken], path_end[taken]
    at_first, at_length = spans[4]  # unused but for the run's last time: its first and last bytes checked
    if not (_AT_BYTES[padded[at_first]] & _AT_BYTES[padded[at_first + at_length - 1]]).all():
        return None
    version = _digits(padded, *spans[3])
    step = _digits(padded, *spans[1])
    if version is None:
        return None
    floats = _json_numbers(padded, spans[:3] if step is None else [spans[0], spans[2]], nulls=step is None)
    if floats is None:
        return None
    value, ts = floats[:, 0], floats[:, -1]
    step_value = floats[:, 1] if step is None else step.astype(np.float64)
    grouped = group_keys(padded, path_start, path_end - path_start)
    if grouped is None:
        return None
    texts, code = grouped
    decoded = [_path(text) for text in texts]
    bad = [i for i, key in enumerate(decoded) if key is None]
    if bad:  # a path that is not a list of strings: those lines go to orjson
        keep = ~np.isin(code, bad)
        taken, code, version = taken[keep], code[keep], version[keep]
        value, step_value, ts = value[keep], step_value[keep], ts[keep]
        spans[4] = (spans[4][0][keep], spans[4][1][keep])
    keys = [key or "" for key in decoded]
    return taken, keys, code, value, step_value, ts, version, spans[4][0], spans[4][1]


def _pieces(padded: NDArray[np.uint8], where: NDArray[np.int64], piece: bytes) -> NDArray[np.bool_]:
    """Whether `piece` (8 bytes or more) sits at each offset. Up to 16 bytes: an 8-byte gather per 8 bytes of it
    (the last one ending with the piece, overlapping the one before); longer: one row copy per offset, compared 8
    bytes at a time. One 8 MiB block of the bench log (45k lines), best of 50: 8 bytes 0.18 ms gathered, 0.37 ms
    copied; 16 bytes 0.34 against 0.42 ms; 39 bytes 0.85 against 0.49 ms."""
    if len(piece) > 16:
        return _piece_rows(padded, where, piece)
    all_words = words(padded)
    found = np.ones(where.size, dtype=bool)
    for offset in sorted({0, len(piece) - 8}):
        found &= all_words[where + offset] == np.uint64(int.from_bytes(piece[offset : offset + 8], "little"))
    return found


def _piece_rows(padded: NDArray[np.uint8], where: NDArray[np.int64], piece: bytes) -> NDArray[np.bool_]:
    width = -(-len(piece) // 8) * 8
    block = sliding_window_view(padded, width)[where].view("<u8")
    wants = np.frombuffer(piece.ljust(width, b"\0"), dtype="<u8")
    found = np.ones(where.size, dtype=bool)
    for column, want in enumerate(wants):
        word = block[:, column]
        left = len(piece) - 8 * column
        if left < 8:
            word = word & np.uint64((1 << (8 * left)) - 1)
        found &= word == want
    return found


def _digits(padded: NDArray[np.uint8], first: NDArray[np.int64], length: NDArray[np.int64]) -> NDArray[np.int64] | None:
    """Whole numbers written with digits only (at most 15, so exact as floats too), else None.

    Up to 8 digits (steps and versions below 10^8) each number is one 8-byte gather turned into its value by three
    word multiplications; longer ones go digit column by digit column (`_long_digits`). Versions and steps of one
    8 MiB block of the bench log (45k lines), CPU best of 60, load ~3.7: by columns 2.2-3.7 ms, by words 0.8-1.4 ms."""
    if not first.size:
        return np.empty(0, dtype=np.int64)
    if int(length.max()) > 8:
        return _long_digits(padded, first, length)
    if ((padded[first] == ord("0")) & (length > 1)).any():  # a leading zero is not JSON
        return None
    # each number as 8 ASCII digits in one word, zeros in front: the first digit in the lowest byte
    word = (words(padded)[first] & LOW_BYTES[length]) << (np.uint64(8) * (np.uint64(8) - length.astype(np.uint64)))
    word |= _ZEROS_BEFORE[length]
    if not (((word & _HIGH_NIBBLES) == _ASCII_ZEROS) & (((word + _PAST_NINE) & _HIGH_NIBBLES) == _ASCII_ZEROS)).all():
        return None
    # eight digits to a number in three multiplications (pairs, then fours, then the eight)
    word = ((word & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(2561)) >> np.uint64(8)
    word = ((word & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(6553601)) >> np.uint64(16)
    word = ((word & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(42949672960001)) >> np.uint64(32)
    return word.astype(np.int64)


_ASCII_ZEROS = np.uint64(int.from_bytes(b"0" * 8, "little"))
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_PAST_NINE = np.uint64(0x0606060606060606)  # a byte above "9" carries into its high nibble when 6 is added
_ZEROS_BEFORE = np.array([int.from_bytes(b"0" * (8 - n) + b"\0" * n, "little") for n in range(9)], dtype=np.uint64)


def _long_digits(
    padded: NDArray[np.uint8], first: NDArray[np.int64], length: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """`_digits` for numbers of up to 15 digits. Read right-aligned: each line's window ends with its number, so
    column j weighs 10^(width-1-j) on every line."""
    width = int(length.max())
    if width > 15:
        return None
    digit = sliding_window_view(padded, width)[first + length - width] - np.uint8(ord("0"))  # others wrap to >9
    before = np.arange(width) < (width - length)[:, None]
    if not ((digit <= 9) | before).all():
        return None
    if ((digit[np.arange(digit.shape[0]), width - length] == 0) & (length > 1)).any():  # a leading zero is not JSON
        return None
    number = np.zeros(digit.shape[0], dtype=np.int64)
    for column in range(width):  # column by column: cheaper than masking the bytes before each number
        number += np.where(before[:, column], 0, digit[:, column]).astype(np.int64) * 10 ** (width - 1 - column)
    return number


def _json_numbers(
    padded: NDArray[np.uint8], spans: list[tuple[NDArray[np.int64], NDArray[np.int64]]], *, nulls: bool
) -> NDArray[np.float64] | None:
    """The texts of each place (value, step, ts) parsed by orjson, one JSON array per place: (lines, len(spans))
    floats (NaN for a `null` in the second column when `nulls`), or None unless each place held exactly one number."""
    n = spans[0][0].size
    out = np.empty((n, len(spans)), dtype=np.float64)
    for column, (first, length) in enumerate(spans):
        starts_number = _NUMBER_START[padded[first]]
        if nulls and column == 1:
            starts_number |= padded[first] == ord("n")  # null, the only JSON value starting so
        if not starts_number.all():
            return None
        try:
            parsed = orjson.loads(_json_array(padded, first, length))
        except orjson.JSONDecodeError:
            return None
        if len(parsed) != n:  # then each place held one JSON value, and by its first byte a number
            return None
        # fromiter: ~30% fewer instructions than converting the list as a sequence (cachegrind, 45k floats); a
        # `null` step is no float for it
        out[:, column] = parsed if nulls and column == 1 else np.fromiter(parsed, dtype=np.float64, count=n)
    return out


def _json_array(padded: NDArray[np.uint8], first: NDArray[np.int64], length: NDArray[np.int64]) -> bytes:
    """`[text, text, ...]`: each text copied with the byte after it into a row of the longest one's width plus one,
    the bytes past it made spaces and the last one a comma (a bracket on the last row). One copy per row and one
    mask; a table of every place side by side took 10-40% longer (one 8 MiB block of the bench log, value and ts,
    best of 40, load ~3)."""
    width = int(length.max()) + 1
    text = sliding_window_view(padded, width)[first]
    np.putmask(text, np.arange(width) >= length[:, None], np.uint8(ord(" ")))
    text[:, -1] = ord(",")
    text[-1, -1] = ord("]")
    return b"".join((b"[", text.data))


def _float(text: bytes) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _path(text: bytes) -> str | None:
    try:
        parts = orjson.loads(b"[" + text + b"]")
    except orjson.JSONDecodeError:
        return None
    if not parts or not all(isinstance(p, str) for p in parts):
        return None
    return "/".join(parts)
