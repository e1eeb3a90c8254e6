"""neptune-scale snapshots decoded in one parse give what decoding them one by one gives, or hand over.

The rows come from a database the real neptune-scale client wrote (configs, tags, an experiment, metrics);
rows of shapes that client does not write (no timestamp, a fractional step, no step, damaged bytes) are
built with the same message declarations and mixed in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from runwise.adapters.sources.neptune.scale import _snapshot_by_snapshot
from runwise.adapters.sources.neptune.scale_columns import Columns, snapshot_columns
from runwise.adapters.sources.neptune.scale_proto import message
from tests import neptune_writers
from tests.contract.spec import RunSpec, SeriesSpec

STEPS = tuple(range(30))
SPEC = RunSpec(
    name="columns",
    config={"lr": 0.5, "opt": {"name": "adam"}},
    series={
        "train/loss": SeriesSpec(STEPS, tuple(1.0 / (s + 1) for s in STEPS)),
        "val/acc": SeriesSpec(STEPS[::3], tuple(s / 30 for s in STEPS[::3])),
    },
)
JOB = neptune_writers.job_of("scale", [SPEC], tags=["base", "lr-sweep"], experiment="exp-1")
neptune_writers.SESSION_JOBS.append(JOB)


def _client_rows() -> list[bytes]:
    folder, _ = neptune_writers.cached(JOB)
    (db,) = folder.glob(".neptune/*/run_operations.sqlite3")
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        rows = conn.execute("SELECT operation FROM run_operations WHERE operation_type = 0 ORDER BY sequence_id")
        return [bytes(op) for (op,) in rows]
    finally:
        conn.close()


def _row(step: tuple[int, int] | None, stamp: tuple[int, int] | None, points: dict[str, float]) -> bytes:
    snap = message("UpdateRunSnapshot")()
    if step is not None:
        snap.step.whole, snap.step.micro = step
    if stamp == (0, 0):  # as a proto3 writer puts the epoch: an empty Timestamp
        snap.timestamp.SetInParent()
    elif stamp is not None:
        snap.timestamp.seconds, snap.timestamp.nanos = stamp
    for key, value in points.items():
        entry = snap.append.add()
        entry.key = key
        entry.value.float64 = value
    return bytes(snap.SerializeToString())


def _assert_same(got: Columns, want: Columns) -> None:
    assert got.points.keys == want.points.keys
    np.testing.assert_array_equal(got.points.code, want.points.code)
    np.testing.assert_array_equal(got.points.row, want.points.row)
    assert got.points.value.tobytes() == want.points.value.tobytes()
    stepped = np.unique(want.points.row)  # a row without points needs no step
    np.testing.assert_array_equal(got.steps[stepped], want.steps[stepped])
    np.testing.assert_array_equal(got.walls, want.walls)
    assert [e.SerializeToString() for e in got.assign] == [e.SerializeToString() for e in want.assign]
    assert [e.SerializeToString() for e in got.modify_sets] == [e.SerializeToString() for e in want.modify_sets]


def _one_by_one(rows: Sequence[bytes]) -> Columns:
    columns, bad = _snapshot_by_snapshot(list(rows))
    assert bad == 0
    return columns


def test_the_clients_rows_decode_as_one_by_one() -> None:
    rows = _client_rows()
    got = snapshot_columns(rows)
    assert got is not None and len(got.assign) and len(got.modify_sets)
    _assert_same(got, _one_by_one(rows))
    assert got.steps[got.points.row[0]] == 0.0  # the client writes step 0 as an empty Step


def test_rows_of_other_shapes_decode_as_one_by_one() -> None:
    rows = [
        *_client_rows(),
        _row((7, 250_000), (1_800_000_000, 999_999_999), {"train/loss": 0.25}),  # fractional step
        _row((8, 0), None, {"train/loss": 0.5}),  # no time
        _row((9, 0), (0, 0), {"train/loss": 0.75}),  # an empty Timestamp: read as no time, protobuf says 0
        _row(None, (1_800_000_001, 0), {}),  # no step, no points
        _row((2**63, 5), (-5, 7), {"train/loss": 1.0}),
    ]
    got = snapshot_columns(rows)
    assert got is not None
    want = _one_by_one(rows)
    want.walls[-3] = np.nan
    _assert_same(got, want)
    assert got.steps[-5] == 7.25 and got.walls[-5] == 1_800_000_000.999999999


def test_shapes_it_does_not_take_are_handed_over() -> None:
    rows = _client_rows()
    assert snapshot_columns([*rows, _row(None, (1_800_000_000, 0), {"train/loss": 1.0})]) is None  # points, no step
    assert snapshot_columns([*rows, b"\x0a\xff damaged"]) is None
    assert snapshot_columns([*rows, _row((3, 0), (1, -1), {})]) is None  # nanos -1 looks like the row marker
    assert snapshot_columns([]) is None
