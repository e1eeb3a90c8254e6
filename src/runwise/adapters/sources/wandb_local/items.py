"""History, summary and config items split into key bytes and value bytes, with a hash of the key.

An item is `key` (1) or `nested_key` (2, repeated) followed by `value_json` (16). The common
item, one key field of up to 19 bytes, is read from a single 24-byte copy of its head; others
walk their key fields one at a time.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local.wire import I64, ROW_MASKS, Mask, rows
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class Items:
    """History, summary and config items (`key`=1 / `nested_key`=2 ..., `value_json`=16).

    `key_end` closes the item's key fields: the bytes `start:key_end` identify the key exactly, and
    `key_id` is their 64-bit hash (`exact` when the hash covers every byte). `fast` is False for
    items laid out otherwise (typed values, long values); they take the slow path.
    """

    __repr__ = fields_repr

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
    key_end = starts + key_size
    length = u[key_end + 2].astype(np.int64)  # the value's tag and length, read where the key ends
    value_start = key_end + 3
    value_end = value_start + length
    fast = simple & (u[key_end] == 0x82) & (u[key_end + 1] == 0x01) & (length < 0x80) & (value_end == ends)
    words = head.view("<u8")
    words &= np.take(ROW_MASKS, key_size, axis=0)  # 4x faster than indexing with []
    key_id = _mix(words, key_size)
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


def key_hash(u: NDArray[np.uint8], start: I64, end: I64) -> tuple[NDArray[np.uint64], Mask]:
    """A 64-bit identity of the bytes `start:end` of each item, and whether it is exact.

    Exact (24 bytes plus the length cover every byte) for spans up to 24 bytes, i.e. keys up to
    22 characters; longer spans are checked byte for byte by `same_bytes`.
    """
    size = end - start
    key = rows(u, start, 24).view("<u8")
    key &= np.take(ROW_MASKS, np.minimum(size, 24), axis=0)
    return _mix(key, size), size <= 24


def _mix(key: NDArray[np.uint64], size: I64) -> NDArray[np.uint64]:
    return (key[:, 0] * _MIX1) ^ (key[:, 1] * _MIX2) ^ (key[:, 2] * _MIX3) ^ size.astype(np.uint64)  # type: ignore[no-any-return]
