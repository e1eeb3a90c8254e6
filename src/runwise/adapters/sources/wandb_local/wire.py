"""Protobuf wire format decoded with numpy, many messages at a time.

A 100k-step run holds a million history items; decoding them one by one in Python costs seconds.
Here every step of the decoder (read a tag, read a length, skip a field) runs once for all
messages in a batch, so Python work grows with the number of fields per message, not with the
number of messages. Anything unusual (long varints, unexpected fields) is flagged for the
protobuf slow path rather than guessed at.

Kept over the upb `protobuf` runtime because it is faster end to end: `python bench/bench_libraries.py --only
records --repeat 3` — the whole `load_run` of a 100k-step `.wandb` file (73 MB) took 0.227 s against 1.79 s for
upb parsing every record with W&B's own schema and orjson reading each history value (no columns built), and
1.79 s for upb at its best (each segment's HistoryRecords parsed in one call, one orjson call per key, columns
built): 7.9x (load average 2.9, medians of 3; upb rows of 1 and 3).
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.shared_repr import fields_repr

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

    __repr__ = fields_repr

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


BYTE_MASKS = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [(1 << 64) - 1], dtype=np.uint64)


def starts_with(w: NDArray[np.uint64], pos: I64, pattern: bytes) -> Mask:
    """Whether the bytes at each position begin with `pattern`, compared 8 bytes at a time."""
    same = np.ones(pos.size, bool)
    for at in range(0, len(pattern), 8):
        piece = pattern[at : at + 8]
        mask = np.uint64(BYTE_MASKS[len(piece)])
        same &= (w[pos + at] & mask) == np.uint64(int.from_bytes(piece, "little"))
    return same


def same_bytes(w: NDArray[np.uint64], a: I64, b: I64, size: I64) -> Mask:
    """Whether `size` bytes at `a` equal those at `b`, compared 8 bytes at a time."""
    same = np.ones(a.size, bool)
    offset = 0
    todo = np.arange(a.size)
    while todo.size:
        left = size[todo] - offset
        mask = BYTE_MASKS[np.minimum(left, 8)]
        same[todo] &= (w[a[todo] + offset] & mask) == (w[b[todo] + offset] & mask)
        offset += 8
        todo = todo[left > 8]
    return same


ROW_MASKS = np.array([[BYTE_MASKS[min(max(size - 8 * k, 0), 8)] for k in range(3)] for size in range(25)], dtype="<u8")


def rows(u: NDArray[np.uint8], start: I64, width: int) -> NDArray[np.uint8]:
    """`width` bytes from each position, one row each (a copy); faster than gathering words."""
    return fixed(u, width)[start].view(np.uint8).reshape(-1, width)  # one memcpy per row


def fixed(u: NDArray[np.uint8], width: int) -> NDArray[np.void]:
    """Every `width`-byte window of `u` as one opaque item (a strided view, no copy)."""
    return np.ndarray(shape=(u.size - width + 1,), dtype=f"V{width}", buffer=u, strides=(1,))
