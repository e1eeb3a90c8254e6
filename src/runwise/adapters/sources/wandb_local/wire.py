"""Protobuf wire format decoded with numpy, many messages at a time.

A 100k-step run holds a million history items; decoding them one by one in Python costs seconds.
Here every step of the decoder (read a tag, read a length, skip a field) runs once for all
messages in a batch, so Python work grows with the number of fields per message, not with the
number of messages. Anything unusual (long varints, unexpected fields) is flagged for the
protobuf slow path rather than guessed at.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local import floats

MAX_VARINT = 5  # enough for lengths, tags and record numbers below 2**35

I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]


def words(buf: NDArray[np.uint8]) -> NDArray[np.uint64]:
    """Unaligned little-endian uint64 at every byte offset (a strided view, no copy)."""
    return np.ndarray(shape=(max(buf.size - 7, 0),), dtype="<u8", buffer=buf, strides=(1,))


def varint(u: NDArray[np.uint8], pos: I64) -> tuple[I64, I64, Mask]:
    """Value, byte length and validity of the varint at each position."""
    byte = u[pos].astype(np.int64)
    value = byte & 0x7F
    size = np.ones(pos.size, np.int64)
    more = np.nonzero(byte >= 0x80)[0]
    shift = 7
    while more.size and shift < 7 * MAX_VARINT:
        byte = u[pos[more] + size[more]].astype(np.int64)
        value[more] |= (byte & 0x7F) << shift
        size[more] += 1
        more = more[byte >= 0x80]
        shift += 7
    ok = np.ones(pos.size, bool)
    ok[more] = False
    return value, size, ok


@attrs.frozen
class Fields:
    """One row per field found: which message it belongs to, its number and its value span.

    For varint fields `start` is the varint's position and `value` its value; for
    length-delimited fields `start:end` is the payload.
    """

    owner: I64
    number: I64
    wire: I64
    head: I64  # position of the field's tag: `end - head` is the field's whole size
    start: I64
    end: I64
    value: I64
    broken: Mask  # per message: its bytes do not parse as protobuf fields


def fields(u: NDArray[np.uint8], starts: I64, ends: I64, *, stop_after: int | None = None) -> Fields:
    """Walk the fields of every message `u[starts[i]:ends[i]]`, one field of each message per round.

    Fields come back in file order. `stop_after` ends each walk after that many fields.
    """
    count = starts.size
    pos = starts.copy()
    broken = np.zeros(count, bool)
    alive = np.nonzero(pos < ends)[0]
    out: list[tuple[I64, ...]] = []
    while alive.size and (stop_after is None or len(out) < stop_after):
        p = pos[alive]
        number, wire, start, end, value, ok = one_field(u, p)
        ok &= end <= ends[alive]
        if not ok.all():
            broken[alive[~ok]] = True
        if ok.all():
            keep = alive
        else:
            keep = alive[ok]
            number, wire, p, start, end, value = number[ok], wire[ok], p[ok], start[ok], end[ok], value[ok]
        out.append((keep, number, wire, p, start, end, value))
        pos[keep] = end
        alive = keep[end < ends[keep]]
    if not out:
        empty = np.zeros(0, np.int64)
        return Fields(empty, empty, empty, empty, empty, empty, empty, broken)
    # Round r holds the r-th field of every message: a field's rank within its message is its
    # round, which puts the rows back in file order without sorting.
    owner = np.concatenate([o[0] for o in out])
    counts = np.bincount(owner, minlength=count)
    target = (np.cumsum(counts) - counts)[owner] + np.repeat(np.arange(len(out)), [o[0].size for o in out])
    cols = []
    for k in range(7):
        col = np.empty(owner.size, np.int64)
        col[target] = np.concatenate([o[k] for o in out])
        cols.append(col)
    return Fields(cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], broken)


def one_field(u: NDArray[np.uint8], p: I64) -> tuple[I64, I64, I64, I64, I64, Mask]:
    """Number, wire type, value span, varint value and validity of the field at each position.

    The common cases (one-byte tag; one- or two-byte length or varint) cost a few vector
    operations; anything longer goes through the general varint decoder.
    """
    tag8, second8 = u[p], u[p + 1]
    if bool(np.all(((tag8 & 0x87) == 2) & (second8 < 0x80))):  # one-byte tags and lengths only
        number = (tag8 >> 3).astype(np.int64)
        start = p + 2
        value = second8.astype(np.int64)
        return number, np.full(p.size, 2, np.int64), start, start + value, value, number > 0
    tag = tag8.astype(np.int64)
    second = second8.astype(np.int64)
    third = u[p + 2].astype(np.int64)
    wire = tag & 7
    number = tag >> 3
    two = second >= 0x80
    value = np.where(two, (second & 0x7F) | (third << 7), second)
    head = p + 1
    size = 1 + two
    start = np.where(wire == 2, head + size, head)
    end = np.where(wire == 2, head + size + value, head + size)
    end = np.where(wire == 1, head + 8, np.where(wire == 5, head + 4, end))
    ok = ((wire <= 2) | (wire == 5)) & (number > 0)
    long = np.nonzero((tag >= 0x80) | (two & (third >= 0x80) & ((wire == 0) | (wire == 2))))[0]
    if long.size:
        q = p[long]
        t, t_size, ok_t = varint(u, q)
        head = q + t_size
        v, v_size, ok_v = varint(u, head)
        w = t & 7
        wire[long], number[long], value[long] = w, t >> 3, v
        start[long] = np.where(w == 2, head + v_size, head)
        e = np.where(w == 2, head + v_size + v, head + v_size)
        end[long] = np.where(w == 1, head + 8, np.where(w == 5, head + 4, e))
        ok[long] = ok_t & (ok_v | (w == 1) | (w == 5)) & ((w <= 2) | (w == 5)) & ((t >> 3) > 0)
    return number, wire, start, end, value, ok


@attrs.frozen
class Items:
    """History, summary and config items (`key`=1 / `nested_key`=2 ..., `value_json`=16).

    `key_end` closes the item's key fields: the bytes `start:key_end` identify the key exactly, and
    `key_id` is their 64-bit hash (`exact` when the hash covers every byte). `fast` is False for
    items laid out otherwise (typed values, long values); they take the slow path.
    """

    start: I64
    end: I64
    key_end: I64
    value_start: I64
    value_end: I64
    fast: Mask
    key_id: NDArray[np.uint64]
    exact: Mask


def items(u: NDArray[np.uint8], starts: I64, ends: I64) -> Items:
    """Split every item into key bytes and value_json bytes, assuming W&B's usual layout.

    Writers serialise fields in number order, so an item is its key field(s) (tags 0x0a or 0x12,
    one-byte lengths) followed by value_json (tag 0x82 0x01, one-byte length) ending the item.
    The common item, one key field of up to 19 bytes, is read from a single 24-byte copy of its
    head, which also gives the key's hash; the others walk their key fields one at a time.
    """
    head = rows(u, starts, 24)
    tag, size = head[:, 0], head[:, 1].astype(np.int64)
    simple = ((tag == 0x12) | (tag == 0x0A)) & (size <= 19)
    key_size = 2 + np.where(simple, size, 0)
    value_head = np.take_along_axis(head, key_size[:, None] + np.arange(3), axis=1)
    length = value_head[:, 2].astype(np.int64)
    value_start = starts + key_size + 3
    value_end = value_start + length
    fast = simple & (value_head[:, 0] == 0x82) & (value_head[:, 1] == 0x01) & (length < 0x80) & (value_end == ends)
    words = head.view("<u8")
    words &= _ROW_MASKS[key_size]
    key_id = _mix(words, key_size)
    key_end = starts + key_size
    exact = np.ones(starts.size, bool)
    other = np.nonzero(~fast)[0]
    if other.size:
        k_end, v_start, v_end, ok = _walk_items(u, starts[other], ends[other])
        key_end[other], value_start[other], value_end[other], fast[other] = k_end, v_start, v_end, ok
        key_id[other], exact[other] = key_hash(u, starts[other], k_end)
    return Items(starts, ends, key_end, value_start, value_end, fast, key_id, exact)


def _walk_items(u: NDArray[np.uint8], starts: I64, ends: I64) -> tuple[I64, I64, I64, Mask]:
    """The general layout: any number of key fields (nested keys), then value_json."""
    pos = starts.copy()
    active = np.arange(starts.size)
    while active.size:
        p = pos[active]
        tag = u[p]
        is_key = ((tag == 0x12) | (tag == 0x0A)) & (p < ends[active])
        active, p = active[is_key], p[is_key]
        pos[active] = p + 2 + (u[p + 1] & 0x7F)
        long_len = u[p + 1] >= 0x80
        if long_len.any():
            pos[active[long_len]] = ends[active[long_len]] + 1  # poisons the item: slow path
    length = u[pos + 2].astype(np.int64)
    value_start = pos + 3
    value_end = value_start + length
    fast = (u[pos] == 0x82) & (u[pos + 1] == 0x01) & (length < 0x80) & (value_end == ends) & (pos > starts)
    return pos, value_start, value_end, fast


_MIX1 = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX3 = np.uint64(0x165667B19E3779F9)
_BYTE_MASKS = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [(1 << 64) - 1], dtype=np.uint64)


def key_hash(u: NDArray[np.uint8], start: I64, end: I64) -> tuple[NDArray[np.uint64], Mask]:
    """A 64-bit identity of the bytes `start:end` of each item, and whether it is exact.

    Exact (24 bytes plus the length cover every byte) for spans up to 24 bytes, i.e. keys up to
    22 characters; longer spans are checked byte for byte by `same_bytes`.
    """
    size = end - start
    key = rows(u, start, 24).view("<u8")
    key &= _ROW_MASKS[np.minimum(size, 24)]
    return _mix(key, size), size <= 24


def _mix(key: NDArray[np.uint64], size: I64) -> NDArray[np.uint64]:
    return (key[:, 0] * _MIX1) ^ (key[:, 1] * _MIX2) ^ (key[:, 2] * _MIX3) ^ size.astype(np.uint64)  # type: ignore[no-any-return]


def starts_with(w: NDArray[np.uint64], pos: I64, pattern: bytes) -> Mask:
    """Whether the bytes at each position begin with `pattern`, compared 8 bytes at a time."""
    same = np.ones(pos.size, bool)
    for at in range(0, len(pattern), 8):
        piece = pattern[at : at + 8]
        mask = np.uint64(_BYTE_MASKS[len(piece)])
        same &= (w[pos + at] & mask) == np.uint64(int.from_bytes(piece, "little"))
    return same


def same_bytes(w: NDArray[np.uint64], a: I64, b: I64, size: I64) -> Mask:
    """Whether `size` bytes at `a` equal those at `b`, compared 8 bytes at a time."""
    same = np.ones(a.size, bool)
    offset = 0
    todo = np.arange(a.size)
    while todo.size:
        left = size[todo] - offset
        mask = _BYTE_MASKS[np.minimum(left, 8)]
        same[todo] &= (w[a[todo] + offset] & mask) == (w[b[todo] + offset] & mask)
        offset += 8
        todo = todo[left > 8]
    return same


_ROW_MASKS = np.array(
    [[_BYTE_MASKS[min(max(size - 8 * k, 0), 8)] for k in range(3)] for size in range(25)], dtype="<u8"
)
_NUMERIC_FIRST = np.zeros(256, bool)
_NUMERIC_FIRST[list(b"-0123456789NI")] = True  # JSON numbers, NaN, Infinity, -Infinity
_NUMBER_WIDTH = 24  # longer than any float or int64 that json/Go writes
_WORD_MASKS = _ROW_MASKS[: _NUMBER_WIDTH + 1]


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
        body.view(f"V{_NUMBER_WIDTH}")[:] = _fixed(u, _NUMBER_WIDTH)[start[short]]
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


def rows(u: NDArray[np.uint8], start: I64, width: int) -> NDArray[np.uint8]:
    """`width` bytes from each position, one row each (a copy); faster than gathering words."""
    return _fixed(u, width)[start].view(np.uint8).reshape(-1, width)  # one memcpy per row


def _fixed(u: NDArray[np.uint8], width: int) -> NDArray[np.void]:
    """Every `width`-byte window of `u` as one opaque item (a strided view, no copy)."""
    return np.ndarray(shape=(u.size - width + 1,), dtype=f"V{width}", buffer=u, strides=(1,))


def _number(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
