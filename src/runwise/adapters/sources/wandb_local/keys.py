"""Grouping items by key without a Python object per item.

Items whose key bytes are identical belong to one metric. Keys are hashed eight bytes at a time,
sorted once, and each group's key is decoded once; long keys are compared byte for byte with the
group's first item so that a hash collision can never merge two metrics.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local.items import key_hash
from runwise.adapters.sources.wandb_local.wire import I64, same_bytes


def decode_key(raw: bytes) -> str | None:
    """The flat key of an item's key fields: nested keys joined with `/`, else the plain key."""
    plain: str | None = None
    nested: list[str] = []
    i = 0
    while i < len(raw):
        tag, size = raw[i], raw[i + 1] if i + 1 < len(raw) else 0
        text = raw[i + 2 : i + 2 + size].decode("utf-8", "replace")
        if tag == 0x12:
            nested.append(text)
        elif tag == 0x0A:
            plain = text
        else:
            return None
        i += 2 + size
    return "/".join(nested) if nested else plain


class KeyNames:
    """Key bytes -> flat key, remembered across batches (a run logs the same few keys every step)."""

    def __init__(self) -> None:
        self._names: dict[bytes, str | None] = {}

    def name(self, raw: bytes) -> str | None:
        if raw in self._names:
            return self._names[raw]
        found = self._names[raw] = decode_key(raw)
        return found


def groups(
    u: NDArray[np.uint8],
    w: NDArray[np.uint64],
    start: I64,
    key_end: I64,
    names: KeyNames,
    key_id: NDArray[np.uint64] | None = None,
    exact: NDArray[np.bool_] | None = None,
) -> Iterator[tuple[str, I64]]:
    """(key, item indices in file order) for every distinct key among the items."""
    if start.size == 0:
        return
    if key_id is None or exact is None:
        key_id, exact = key_hash(u, start, key_end)
    h = key_id
    order, sorted_h = _sort_by_hash(h)
    cuts = np.flatnonzero(sorted_h[1:] != sorted_h[:-1]) + 1
    bounds = np.concatenate(([0], cuts, [order.size])).tolist()
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        members = order[lo:hi]
        first = int(members[0])
        if not exact[first]:
            yield from _split_exact(u, w, start, key_end, members, names)
            continue
        name = names.name(u[start[first] : key_end[first]].tobytes())
        if name is not None:
            yield name, members


_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xD6E8FEB86659FD93, 0xA0761D6478BD642F)


def _sort_by_hash(h: NDArray[np.uint64]) -> tuple[I64, NDArray[np.uint64]]:
    """Item order grouped by hash, file order kept within a group.

    A run logs few distinct keys, so the hashes are first squeezed into 16 bits, which numpy
    sorts with a radix sort; when two keys collide there, a full sort of the hashes is used.
    """
    for multiplier in _MULTIPLIERS:
        bucket = ((h * np.uint64(multiplier)) >> np.uint64(48)).astype(np.uint16)
        order = np.argsort(bucket, kind="stable")
        sorted_h = h[order]
        sorted_bucket = bucket[order]
        # two keys sharing a bucket show as a change of hash inside a run of one bucket
        if np.array_equal(sorted_h[1:] != sorted_h[:-1], sorted_bucket[1:] != sorted_bucket[:-1]):
            return order, sorted_h
    order = np.argsort(h, kind="stable")
    return order, h[order]


def _split_exact(
    u: NDArray[np.uint8], w: NDArray[np.uint64], start: I64, key_end: I64, members: I64, names: KeyNames
) -> Iterator[tuple[str, I64]]:
    """Long keys that hashed alike: keep together only the items whose bytes really are equal."""
    size = key_end[members] - start[members]
    while members.size:
        first = members[0]
        same = (size == size[0]) & same_bytes(w, start[members], np.full(members.size, start[first]), size)
        name = names.name(u[start[first] : key_end[first]].tobytes())
        if name is not None:
            yield name, members[same]
        members, size = members[~same], size[~same]
