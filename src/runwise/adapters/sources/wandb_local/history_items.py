"""HistoryRecords split into their items and their step, many records at a time.

W&B writes a HistoryRecord as items (`0x0a len`, then one key field `0x12 len key` or `0x0a len key`, then
`value_json` as `0x82 0x01 len text`, every length one byte) and, last, the step (`0x12 len ...`). One walk
reads that layout directly: per round, one item of every record still being walked, its tag, length and key
length taken from one unaligned 32-bit word and the value's header from another. Records laid out otherwise
(nested keys, long values or keys, typed values, other fields, damage) are walked by the general protobuf field
walk (`wire.fields`) and their items split by `items.items`.

Measured on the 100k-step bench run, `python bench/bench_phases.py --repeat 5 --formats wandb --stages` (CPU
medians of 5): the general field walk followed by the item split cost 0.058 + 0.056 s (load average 2.7); this
walk with the key hashes 0.070 s (load average 3.9).
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local.items import Items, items, key_hash
from runwise.adapters.sources.wandb_local.wire import I64, Mask, fields
from runwise.domain.shared_repr import fields_repr

_ITEM_HEAD_MASK = 0x80FF80FF  # tag 0x0a, item length < 0x80, key tag, key length < 0x80
_VALUE_HEAD_MASK = 0x80FFFF  # 0x82 0x01, value length < 0x80


@attrs.frozen
class HistoryItems:
    """The items of a batch's HistoryRecords in file order, and each record's step field.

    `owner` is each item's record (an index into the records walked); `item_bytes` the bytes of each
    record's item fields (tags and lengths included); the step field's payload is `step_start:step_end`
    of record `step_owner`; `broken` marks records whose bytes are not protobuf fields at all.
    """

    __repr__ = fields_repr

    owner: I64
    items: Items
    item_bytes: I64
    step_owner: I64
    step_start: I64
    step_end: I64
    broken: Mask


def history_items(u: NDArray[np.uint8], starts: I64, ends: I64) -> HistoryItems:
    """Items and steps of the HistoryRecords `u[starts[i]:ends[i]]`; `u` must have 8 readable bytes after any end."""
    count = starts.size
    word = np.ndarray(shape=(max(u.size - 3, 0),), dtype="<u4", buffer=u, strides=(1,))
    odd = np.zeros(count, bool)  # records left to the general walk
    step_at = np.full(count, -1, np.int64)
    found: list[tuple[I64, I64, I64, I64]] = []  # per round: record, item start, key end, value end
    alive = np.nonzero(starts < ends)[0]
    p, lim = starts[alive], ends[alive]  # each record still being walked: its next field and its end
    while alive.size:
        head = word[p]
        item_end = p + 2 + ((head >> 8) & 0xFF)
        key_end = p + 4 + (head >> 24)
        value = word[np.minimum(key_end, word.size - 1)]
        value_end = key_end + 3 + ((value >> 16) & 0xFF)
        shape = head & _ITEM_HEAD_MASK
        ok = ((shape == 0x0012000A) | (shape == 0x000A000A)) & ((value & _VALUE_HEAD_MASK) == 0x0182)
        ok &= (value_end == item_end) & (item_end <= lim)
        if not ok.all():
            bad, q, h = alive[~ok], p[~ok], head[~ok]
            last_step = ((h & 0x80FF) == 0x12) & (q + 2 + ((h >> 8) & 0xFF) == lim[~ok])
            step_at[bad[last_step]] = q[last_step]
            odd[bad[~last_step]] = True
            alive, p, key_end, value_end, item_end, lim = (x[ok] for x in (alive, p, key_end, value_end, item_end, lim))
        found.append((alive, p + 2, key_end, value_end))
        more = item_end < lim
        if more.all():
            p = item_end
        else:
            alive, p, lim = alive[more], item_end[more], lim[more]
    fast = _in_file_order(found, odd, count)
    items_end = np.where(step_at >= 0, step_at, ends)  # where each record's items stop: its step field or its end
    if odd.any():
        return _with_general_walk(u, starts, ends, odd, step_at, items_end - starts, fast)
    return _assemble(u, step_at, items_end - starts, fast, count)


def _in_file_order(found: list[tuple[I64, I64, I64, I64]], odd: Mask, count: int) -> tuple[I64, I64, I64, I64]:
    """Items collected round by round, reordered to file order without sorting, records left to the general walk
    dropped. Round r found the r-th item of every record still being walked, so an item's rank is its round."""
    if not found:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, empty
    walked = [f for f in found if f[0].size]
    if walked and not odd.any() and all(f[0].size == count for f in walked):
        # Every record has as many items (W&B logs the same keys at each step): the rounds form a matrix whose
        # transpose is file order. The 100k-step bench run (`history_items` of each segment copied into one buffer
        # before the call, CPU best of 15, load average 0.4): 35.4-38.6 ms per read by the general reordering,
        # 31.4-32.6 ms by the matrix.
        start, key_end, value_end = (np.stack([f[k] for f in walked], axis=1).ravel() for k in (1, 2, 3))
        return np.repeat(np.arange(count), len(walked)), start, key_end, value_end
    owner = np.concatenate([f[0] for f in found])
    rounds = np.repeat(np.arange(len(found)), [f[0].size for f in found])
    keep = ~odd[owner]
    if not keep.all():
        owner, rounds = owner[keep], rounds[keep]
    counts = np.bincount(owner, minlength=count)
    target = (np.cumsum(counts) - counts)[owner] + rounds
    cols = [np.repeat(np.arange(count), counts)]
    for k in (1, 2, 3):
        joined = np.concatenate([f[k] for f in found])
        col = np.empty(owner.size, np.int64)
        col[target] = joined if keep.all() else joined[keep]
        cols.append(col)
    return cols[0], cols[1], cols[2], cols[3]


def _assemble(
    u: NDArray[np.uint8], step_at: I64, item_bytes: I64, fast: tuple[I64, I64, I64, I64], count: int
) -> HistoryItems:
    owner, start, key_end, value_end = fast
    key_id, exact = key_hash(u, start, key_end)
    it = Items(start, value_end, key_end, key_end + 3, value_end, np.ones(owner.size, bool), key_id, exact)
    step_owner = np.nonzero(step_at >= 0)[0]
    step_start = step_at[step_owner] + 2
    step_end = step_start + u[step_at[step_owner] + 1].astype(np.int64)
    return HistoryItems(owner, it, item_bytes, step_owner, step_start, step_end, np.zeros(count, bool))


def _with_general_walk(
    u: NDArray[np.uint8],
    starts: I64,
    ends: I64,
    odd: Mask,
    step_at: I64,
    item_bytes: I64,
    fast: tuple[I64, I64, I64, I64],
) -> HistoryItems:
    """The records the direct walk left, walked field by field, merged with the others in file order."""
    count = starts.size
    which = np.nonzero(odd)[0]
    step_at[which] = -1
    plain = _assemble(u, step_at, item_bytes, fast, count)
    f = fields(u, starts[which], ends[which])
    good = ~f.broken[f.owner] & (f.wire == 2)
    is_item = good & (f.number == 1)
    is_step = good & (f.number == 2)
    general = items(u, f.start[is_item], f.end[is_item])
    owner = np.concatenate([plain.owner, which[f.owner[is_item]]])
    order = np.argsort(owner, kind="stable")
    merged = Items(
        *(
            np.concatenate([a, b])[order]
            for a, b in zip(attrs.astuple(plain.items, recurse=False), attrs.astuple(general, recurse=False))
        )
    )
    item_bytes = plain.item_bytes
    item_bytes[which] = np.bincount(
        f.owner[is_item], weights=f.end[is_item] - f.head[is_item], minlength=which.size
    ).astype(np.int64)
    step_owner = np.concatenate([plain.step_owner, which[f.owner[is_step]]])
    step_start = np.concatenate([plain.step_start, f.start[is_step]])
    step_end = np.concatenate([plain.step_end, f.end[is_step]])
    broken = np.zeros(count, bool)
    broken[which] = f.broken
    return HistoryItems(owner[order], merged, item_bytes, step_owner, step_start, step_end, broken)
