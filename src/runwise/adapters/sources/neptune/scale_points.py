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
from numpy.typing import NDArray

from runwise.adapters.sources.neptune.scale_proto import message

_KEY_TAG, _VALUE_TAG, _VALUE_LENGTH, _DOUBLE_TAG = 0x0A, 0x12, 0x09, 0x09
_FIXED = 13  # bytes of a double entry besides its key: tags, lengths and the 8-byte double
_PAD = 16


class Points:
    """Every float point, in entry order: its key index, value and the entry's snapshot index."""

    def __init__(self, keys: list[str], code: NDArray[np.int64], value: NDArray[np.float64], row: NDArray[np.int64]):
        self.keys = keys
        self.code = code
        self.value = value
        self.row = row


def decode_entries(entries: Sequence[bytes], counts: Sequence[int] | NDArray[np.int64]) -> Points:
    """`entries` of every snapshot in order, `counts[i]` of them from snapshot i."""
    n = len(entries)
    lengths = np.fromiter(map(len, entries), dtype=np.int64, count=n)
    offsets = np.cumsum(lengths) - lengths
    buf = np.frombuffer(b"".join(entries) + b"\0" * _PAD, dtype=np.uint8)
    words = np.ndarray((buf.size - 7,), dtype="<u8", buffer=buf, strides=(1,))
    key_length = buf[offsets + 1].astype(np.int64)
    fast = (lengths >= _FIXED) & (buf[offsets] == _KEY_TAG) & (key_length < 0x80)
    fast &= lengths == key_length + _FIXED
    tail = np.where(fast, offsets + 2 + key_length, 0)
    fast &= (buf[tail] == _VALUE_TAG) & (buf[tail + 1] == _VALUE_LENGTH) & (buf[tail + 2] == _DOUBLE_TAG)
    row = np.repeat(np.arange(len(counts), dtype=np.int64), np.asarray(counts, dtype=np.int64))
    value = np.full(n, np.nan)
    code = np.full(n, -1, dtype=np.int64)
    keys: list[str] = []
    index = np.flatnonzero(fast)
    if index.size:
        value[index] = words[tail[index] + 3].view(np.float64)
        grouped = group_keys(buf, words, offsets[index] + 2, key_length[index])
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
            entry.ParseFromString(entries[i])
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


_MASKS = np.array([(1 << (8 * r)) - 1 for r in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def group_keys(
    buf: NDArray[np.uint8], words: NDArray[np.uint64], first: NDArray[np.int64], length: NDArray[np.int64]
) -> tuple[list[bytes], NDArray[np.int64]] | None:
    """Distinct key texts and each entry's index into them: grouped by a hash of every key byte, then
    every entry compared with its group's text 8 bytes at a time (None if any differs)."""
    key = length.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for start in range(0, int(length.max()), 8):
        word = words[first + start] & _MASKS[np.clip(length - start, 0, 8)]
        key = (key ^ word) * np.uint64(0x100000001B3)
    _, firsts, inverse = np.unique(key, return_index=True, return_inverse=True)
    codes = inverse.astype(np.int64).ravel()
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(firsts.size + 1))
    texts = []
    for group, entry in enumerate(firsts.tolist()):
        text = bytes(buf[first[entry] : first[entry] + length[entry]])
        rows = order[bounds[group] : bounds[group + 1]]
        if (length[rows] != len(text)).any():
            return None
        for start in range(0, len(text), 8):
            piece = text[start : start + 8]
            want = np.frombuffer(piece.ljust(8, b"\0"), dtype="<u8")[0]
            if not ((words[first[rows] + start] & _MASKS[len(piece)]) == want).all():
                return None
        texts.append(text)
    return texts, codes
