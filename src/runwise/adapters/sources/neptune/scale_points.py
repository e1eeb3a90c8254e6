"""The appended float points of neptune-scale snapshots, decoded from their wire bytes in array passes.

A 100k-step x 8-metric run is 800k `append` entries. Each entry holding a double is, on the wire,
`0A <key length> <key> 12 09 09 <8-byte little-endian double>` (Entry.key = 1, Entry.value = 2,
Value.float64 = 1): numpy checks that shape at every entry's offset, reads the doubles in place and
groups entries by key with a hash that is then checked byte for byte. Any other entry (an int64
value, a key of 128 bytes or more, a string or file series) is decoded one by one with protobuf,
so nothing is guessed; per-entry Python work is what this replaces (bench/bench_neptune.py, `scale`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from runwise.adapters.sources.neptune.byte_keys import group_keys
from runwise.adapters.sources.neptune.scale_proto import message

_KEY_TAG, _VALUE_TAG, _VALUE_LENGTH, _DOUBLE_TAG = 0x0A, 0x12, 0x09, 0x09
_FIXED = 13  # bytes of a double entry besides its key: tags, lengths and the 8-byte double
_PAD = 136  # room after the last entry for a block of its key (keys here are under 128 bytes)


class Points:
    """Every float point, in entry order: its key index, value and the entry's snapshot index."""

    def __init__(self, keys: list[str], code: NDArray[np.int64], value: NDArray[np.float64], row: NDArray[np.int64]):
        self.keys = keys
        self.code = code
        self.value = value
        self.row = row


def decode_entries(entries: Sequence[bytes], counts: Sequence[int] | NDArray[np.int64]) -> Points:
    """`entries` of every snapshot in order, `counts[i]` of them from snapshot i."""
    lengths = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
    row = np.repeat(np.arange(len(counts), dtype=np.int64), np.asarray(counts, dtype=np.int64))
    return decode_joined(b"".join(entries), lengths, row, entries)


def decode_joined(
    joined: bytes,
    all_lengths: NDArray[np.int64],
    all_rows: NDArray[np.int64],
    entries: Sequence[bytes],
    keep: NDArray[np.bool_] | None = None,
) -> Points:
    """The entries laid end to end in `joined` (`entries` holds the same ones one by one), each from snapshot
    `all_rows[i]`; only those where `keep` is true are decoded."""
    all_offsets = np.cumsum(all_lengths) - all_lengths
    picked = np.arange(all_lengths.size) if keep is None else np.flatnonzero(keep)
    offsets, lengths, row = all_offsets[picked], all_lengths[picked], all_rows[picked]
    n = picked.size
    buf = np.frombuffer(joined + b"\0" * _PAD, dtype=np.uint8)
    key_length = buf[offsets + 1].astype(np.int64)
    fast = (lengths >= _FIXED) & (buf[offsets] == _KEY_TAG) & (key_length < 0x80)
    fast &= lengths == key_length + _FIXED
    tail = np.where(fast, offsets + 2 + key_length, 0)
    fast &= (buf[tail] == _VALUE_TAG) & (buf[tail + 1] == _VALUE_LENGTH) & (buf[tail + 2] == _DOUBLE_TAG)
    value = np.full(n, np.nan)
    code = np.full(n, -1, dtype=np.int64)
    keys: list[str] = []
    index = np.flatnonzero(fast)
    if index.size:
        value[index] = sliding_window_view(buf, 8)[tail[index] + 3].view("<f8").ravel()
        grouped = group_keys(buf, offsets[index] + 2, key_length[index])
        if grouped is None:  # never expected: a hash collision between keys; decode everything one by one
            index = index[:0]
        else:
            texts, codes = grouped
            keys = [t.decode("utf-8", "replace") for t in texts]
            code[index] = codes
    known = {k: i for i, k in enumerate(keys)}
    entry_class = message("Entry")
    for i in np.flatnonzero(code < 0).tolist():
        entry = entry_class()
        try:
            entry.ParseFromString(entries[int(picked[i])])
        except Exception:  # protobuf's DecodeError: not a point
            continue
        number = entry.value
        if number.HasField("float64"):
            value[i] = number.float64
        elif number.HasField("int64"):
            value[i] = float(number.int64)
        else:
            continue  # string series, files, histograms: not metrics
        code[i] = known.setdefault(entry.key, len(known))
    keys = list(known)
    kept = code >= 0
    return Points(keys, code[kept], value[kept], row[kept])
