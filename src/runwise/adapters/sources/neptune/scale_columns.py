"""Every neptune-scale snapshot's step, time and appended entries from ONE protobuf parse of all rows.

Per-snapshot protobuf objects cost ~3 us each in Python (wrappers for the snapshot, its Step and its
Timestamp, HasField calls): 0.3 s for a 100k-step run, the largest part of reading it. Instead the rows
are joined into one message whose fields are all repeated, so protobuf appends each row's fields to
per-field lists in write order, and numpy splits them by row:

- a marker is put before each row in the three fields read per row: a Step and a Timestamp whose payload
  is the varint 2^64-1, and an `append` entry of the single byte 0 (field number 0 exists in no message);
- `step` and `timestamp` are declared as repeated uint64, so protobuf reads each Step/Timestamp payload as
  packed varints: `8, whole, 16, micro` (a zero field is left out by the writer), i.e. tag/value pairs;
- the markers' positions give each element its row; a row's pairs are checked (even count, tags 8 and
  16 only, each at most once) and anything else makes the caller decode snapshot by snapshot as before.

An empty Step (step 0) leaves no element: a row with appended points and no step element counts as step 0
only when it starts with the empty Step `0A 00`, as the client writes it; otherwise the caller decodes
one by one. An empty Timestamp (the epoch itself) reads as no time.

bench/bench_neptune.py `scale` (100k steps x 8 metrics): read_scale in-process 0.65 s -> 0.33 s with the
collector paused (best of 3); the whole process see CHANGELOG / the bench.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.neptune.scale_points import Points, decode_joined
from runwise.adapters.sources.neptune.scale_proto import message

_MARK = (1 << 64) - 1
_MARK_VARINT = b"\xff" * 9 + b"\x01"
_ENTRY_MARK = b"\x00"
# field 1 (Step) and field 2 (Timestamp) holding the marker varint, field 8 (append) holding one zero byte
_PREFIX = b"\x0a\x0a" + _MARK_VARINT + b"\x12\x0a" + _MARK_VARINT + b"\x42\x01" + _ENTRY_MARK
_EMPTY_STEP = b"\x0a\x00"
_LOW_TAG, _HIGH_TAG = 8, 16  # field 1 and field 2 as varints: Step.whole/micro, Timestamp.seconds/nanos


class Columns:
    """Per snapshot (row) its step and time; the appended float points (with their row); assigned attributes
    and set changes in write order."""

    def __init__(
        self,
        steps: NDArray[np.float64],
        walls: NDArray[np.float64],
        points: Points,
        assign: Sequence[Any],
        modify_sets: Sequence[Any],
    ) -> None:
        self.steps = steps
        self.walls = walls
        self.points = points
        self.assign = assign
        self.modify_sets = modify_sets


def snapshot_columns(snapshots: list[bytes]) -> Columns | None:
    """The columns of every snapshot row, or None when a row is damaged or shaped in a way this does not take."""
    n = len(snapshots)
    if not n:
        return None
    joined = message("UpdateRunSnapshotColumns")()
    try:
        joined.ParseFromString(_PREFIX + _PREFIX.join(snapshots))
    except Exception:  # protobuf's DecodeError: some row is damaged
        return None
    step_pairs = _pairs(np.fromiter(joined.step, dtype=np.uint64, count=len(joined.step)), n)
    time_pairs = _pairs(np.fromiter(joined.timestamp, dtype=np.uint64, count=len(joined.timestamp)), n)
    appended = _appended(list(joined.append), n)
    if step_pairs is None or time_pairs is None or appended is None:
        return None
    whole, micro, step_size = step_pairs
    seconds, nanos, time_size = time_pairs
    points, counts = appended
    steps = whole.astype(np.float64) + micro.astype(np.float64) / 1e6
    walls = seconds.view(np.int64).astype(np.float64) + nanos.view(np.int64).astype(np.float64) / 1e9
    walls[time_size == 0] = np.nan
    unsure = np.flatnonzero((step_size == 0) & (counts > 0)).tolist()
    if any(snapshots[i][:2] != _EMPTY_STEP for i in unsure):
        return None  # points with no step element that is not the client's empty Step: decode one by one
    return Columns(steps, walls, points, joined.assign, joined.modify_sets)


def _pairs(
    stream: NDArray[np.uint64], n: int
) -> tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.int64]] | None:
    """Per row, the values of tags 8 and 16 in a marker-split varint stream, and how many elements the row had."""
    is_mark = stream == np.uint64(_MARK)
    marks = np.flatnonzero(is_mark)
    if marks.size != n or stream.size == 0 or marks[0] != 0:
        return None
    row = np.cumsum(is_mark) - 1
    position = np.arange(stream.size) - marks[row] - 1
    body = ~is_mark
    sizes = np.bincount(row[body], minlength=n)
    if (sizes % 2).any():
        return None
    tag_at = np.flatnonzero(body & (position % 2 == 0))
    tags, values, rows = stream[tag_at], stream[tag_at + 1], row[tag_at]
    low, high = tags == _LOW_TAG, tags == _HIGH_TAG
    if not (low | high).all():
        return None
    if (
        np.bincount(rows[low], minlength=n).max(initial=0) > 1
        or np.bincount(rows[high], minlength=n).max(initial=0) > 1
    ):
        return None
    first, second = np.zeros(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64)
    first[rows[low]] = values[low]
    second[rows[high]] = values[high]
    return first, second, sizes


def _appended(entries: list[bytes], n: int) -> tuple[Points, NDArray[np.int64]] | None:
    """The appended points, markers left out, and how many entries each row appended."""
    lengths = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
    short = np.flatnonzero(lengths == 1).tolist()
    marks = np.asarray([i for i in short if entries[i] == _ENTRY_MARK], dtype=np.int64)
    if marks.size != n or marks[0] != 0:
        return None
    is_mark = np.zeros(len(entries), dtype=bool)
    is_mark[marks] = True
    row = np.cumsum(is_mark) - 1
    counts = np.bincount(row[~is_mark], minlength=n).astype(np.int64)
    return decode_joined(b"".join(entries), lengths, row, entries, ~is_mark), counts
