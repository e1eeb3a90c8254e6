"""The run's final summary: the latest write of every key, as W&B shows it.

W&B's summary records are updates, not snapshots: each `wandb.log` writes one summary record with
the keys it logged (an echo of the history row) and one with `_runtime`; `run.summary[k] = v`
writes its own. So the final summary is, per key, whichever came last in the file: the last
history value or an explicit summary update (or removal). Echo records carry nothing the history
row does not, so the reader skips them unread; every other summary record is decoded here.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError  # type: ignore[import-untyped,unused-ignore]
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local import proto
from runwise.adapters.sources.wandb_local.batches import RecordBatch
from runwise.adapters.sources.wandb_local.items import items
from runwise.adapters.sources.wandb_local.keys import KeyNames, groups
from runwise.adapters.sources.wandb_local.wire import I64, fields, words

MAX_VALUE_BYTES = 4096  # media and table descriptions are not summary values an assistant can use
_REMOVED = object()
_RAW = object()


def decode_json(raw: bytes) -> Any:
    """W&B's value_json (NaN, Infinity and -Infinity included); None when it does not parse.

    Value texts come from the file, so they may be hostile: nesting deep enough to exhaust the
    stack and integers no float can hold (400 digits) are undecodable values, never errors.
    """
    try:
        return json.loads(raw, parse_int=_bounded_int)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


_FLOAT_MAX = 1.7976931348623157e308


def _bounded_int(text: str) -> int:
    value = int(text)
    if not -_FLOAT_MAX <= value <= _FLOAT_MAX:
        raise ValueError("integer beyond the float range")
    return value


class Candidates:
    """The latest write of each key seen so far; the file offset of its record decides."""

    def __init__(self) -> None:
        self._best: dict[str, tuple[int, object, Any]] = {}

    def _newer(self, name: str, order: int) -> bool:
        current = self._best.get(name)
        return current is None or order >= current[0]

    def offer(self, name: str, order: int, raw: NDArray[np.uint8]) -> None:
        if self._newer(name, order):
            self._best[name] = (order, _RAW, raw.tobytes() if raw.size <= MAX_VALUE_BYTES else None)

    def offer_value(self, name: str, order: int, value: Any) -> None:
        if self._newer(name, order):
            self._best[name] = (order, None, value)

    def remove(self, name: str, order: int) -> None:
        if self._newer(name, order):
            self._best[name] = (order, _REMOVED, None)

    def merge(self, other: Candidates) -> None:
        """Take the newer write of every key `other` saw (batches may be decoded out of order)."""
        for name, entry in other._best.items():
            if self._newer(name, entry[0]):
                self._best[name] = entry

    def latest(self, name: str) -> Any:
        found = self._best.get(name)
        if found is None or found[1] is _REMOVED:
            return None
        return decode_json(found[2]) if found[1] is _RAW and found[2] is not None else found[2]

    def values(self) -> dict[str, Any]:
        """Scalar summary values by flat key; media, tables and W&B's own `_wandb` entries are left out."""
        out: dict[str, Any] = {}
        for name in sorted(self._best):
            if name.startswith("_wandb"):
                continue
            value = self.latest(name)
            if value is None or isinstance(value, dict | list):
                continue
            out[name] = value
        return out


def add_summary_records(
    batch: RecordBatch, rec: I64, start: I64, end: I64, candidates: Candidates, names: KeyNames
) -> int:
    """Offer every update and removal in the SummaryRecords `batch.buf[start:end]`; returns records lost.

    A few records (usually the segment's last `_runtime` tick, 1-2 per 4 MiB segment) are decoded one by one with
    protobuf instead of paying the vectorised walk's fixed cost (~0.3 ms a call): on the 100k-step bench run this
    stage of an in-process `read_wandb_file` (CPU best of 9, interleaved with the walk's tree, load ~0.6) took
    6.2-6.7 ms by the walk, 1.6-1.7 ms one by one.
    """
    if rec.size <= FEW_RECORDS:
        return _add_one_by_one(batch, rec, start, end, candidates)
    u, w = batch.buf, words(batch.buf)
    f = fields(u, start, end)
    ok = ~f.broken[f.owner] & (f.wire == 2)
    for number in (1, 2):  # update, remove
        sel = ok & (f.number == number)
        owner = f.owner[sel]
        it = items(u, f.start[sel], f.end[sel])
        fast = np.nonzero(it.fast)[0]
        for name, members in groups(u, w, it.start[fast], it.key_end[fast], names, it.key_id[fast], it.exact[fast]):
            last = int(fast[members[-1]])
            order = int(batch.offsets[rec[owner[last]]])
            if number == 1:
                candidates.offer(name, order, u[it.value_start[last] : it.value_end[last]])
            else:
                candidates.remove(name, order)
        for i in np.nonzero(~it.fast)[0].tolist():
            _offer_slow(u[it.start[i] : it.end[i]].tobytes(), number, int(batch.offsets[rec[owner[i]]]), candidates)
    lost = 0
    for i in np.nonzero(f.broken)[0].tolist():
        try:
            record = proto.parse("ItemsRecord", u[start[i] : end[i]].tobytes())
        except DecodeError:
            lost += 1
            continue
        order = int(batch.offsets[rec[i]])
        for item in record.update:
            candidates.offer_value(proto.item_key(item), order, decode_json(item.value_json.encode()))
        for item in record.remove:
            candidates.remove(proto.item_key(item), order)
    return lost


FEW_RECORDS = 16


def _add_one_by_one(batch: RecordBatch, rec: I64, start: I64, end: I64, candidates: Candidates) -> int:
    """`add_summary_records` for a few records: the same offers (value texts as raw bytes), in file order."""
    lost = 0
    for i, lo, hi in zip(rec.tolist(), start.tolist(), end.tolist()):
        try:
            record = proto.parse("ItemsRecord", batch.buf[lo:hi].tobytes())
        except DecodeError:
            lost += 1
            continue
        order = int(batch.offsets[i])
        for item in record.update:
            raw = item.value_json.encode()
            if len(raw) < 0x80 and not any(f.name in _TYPED for f, _ in item.ListFields()):
                candidates.offer(proto.item_key(item), order, np.frombuffer(raw, np.uint8))
            else:  # what the vectorised walk hands to protobuf: typed values, value texts past a one-byte length
                candidates.offer_value(proto.item_key(item), order, decode_json(raw))
        for item in record.remove:
            candidates.remove(proto.item_key(item), order)
    return lost


_TYPED = frozenset({"boolean", "integer", "number"})  # items the vectorised path hands to protobuf (`_offer_slow`)


def _offer_slow(raw: bytes, number: int, order: int, candidates: Candidates) -> None:
    try:
        item = proto.parse("Item", raw)
    except DecodeError:
        return
    if number == 2:
        candidates.remove(proto.item_key(item), order)
    else:
        candidates.offer_value(proto.item_key(item), order, decode_json(item.value_json.encode()))
