"""neptune-scale (0.30) offline/async operation databases: `<log dir>/<project>_<run id>_<time>/run_operations.sqlite3`.

Rows of `run_operations` hold protobuf operations in write order (see scale_proto.py); `metadata`
names the project and run id. The database is opened strictly read-only (adapters/sqlite_readonly:
`immutable=1` once the writer closed it, a private copy of file and log while it is live).
Snapshots are decoded in one protobuf call per 4,096 rows (rows framed as the repeated field of
`UpdateRunSnapshots`), their appended points left as wire bytes and decoded in bulk (scale_points.py). A step is `whole + micro / 1e6`; NaN and ±Inf are stored and kept.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from runwise.adapters.sources.neptune.record import SCALE_FILE_NAME, NeptuneRun, config_from, metric_key
from runwise.adapters.sources.neptune.scale_columns import Columns, snapshot_columns
from runwise.adapters.sources.neptune.scale_points import Points, decode_entries
from runwise.adapters.sources.neptune.scale_proto import message
from runwise.adapters.sqlite_readonly import is_sqlite, open_readonly
from runwise.domain.errors import InvalidInput
from runwise.domain.model import RunState, sorted_series

FILE_NAME = SCALE_FILE_NAME
RUNNING_WINDOW_S = 120.0
_BATCH = 4096


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


@cache
def _short_varints() -> list[bytes]:
    """Every 1- and 2-byte varint, looked up instead of built (made on first use: ~30 ms)."""
    return [_varint(n) for n in range(1 << 14)]


def _frame(blobs: list[bytes]) -> bytes:
    """Rows as the repeated field 1 of UpdateRunSnapshots, so protobuf parses a batch in one call."""
    short = _short_varints()
    return b"".join(b"\x0a" + (short[len(b)] if len(b) < 16384 else _varint(len(b))) + b for b in blobs)


def read_scale(path: Path, *, now: float | None = None) -> NeptuneRun:
    """Decode one operation database."""
    now = time.time() if now is None else now
    if not is_sqlite(path):
        raise InvalidInput(
            f"{path} is not an SQLite database", "point Runwise at neptune-scale's run_operations.sqlite3"
        )
    try:
        with open_readonly(path) as conn:
            meta = conn.execute("SELECT project, run_id FROM metadata ORDER BY id LIMIT 1").fetchone()
            rows = conn.execute(
                "SELECT operation_type, operation, timestamp FROM run_operations ORDER BY sequence_id"
            ).fetchall()
    except sqlite3.Error as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", "the file may be damaged or still being created") from exc
    project, run_id = (str(meta[0]), str(meta[1])) if meta else (None, path.parent.name)
    attributes: dict[str, Any] = {}
    tags: set[str] = set()
    created = updated = None
    experiment = None
    warnings: list[str] = []
    snapshots = [op for kind, op, _ in rows if kind == 0]
    for _, op, _ in (row for row in rows if row[0] == 1):
        run = message("Run")()
        try:
            run.ParseFromString(op)
        except Exception:  # protobuf's DecodeError
            warnings.append("an unreadable create-run operation was skipped")
            continue
        if run.HasField("creation_time"):
            created = run.creation_time.seconds + run.creation_time.nanos / 1e9
        experiment = run.experiment_id or None
    stamps = [stamp for _, _, stamp in rows if isinstance(stamp, (int, float))]
    updated = max(stamps) / 1000 if stamps else None
    columns = snapshot_columns(snapshots)
    if columns is None:
        columns, bad = _snapshot_by_snapshot(snapshots)
        if bad:
            warnings.append(f"{bad} unreadable operation(s) skipped")
    _apply(columns.assign, columns.modify_sets, attributes, tags)
    steps, walls, points = columns.steps, columns.walls, columns.points
    series = {}
    if points.code.size:
        step_of, wall_of = steps[points.row], walls[points.row]
        stepless = np.isnan(step_of)
        if stepless.any():  # never written by the client: points the server would refuse
            warnings.append(f"{int(stepless.sum())} point(s) without a step were left out")
            kept = ~stepless
            points = Points(points.keys, points.code[kept], points.value[kept], points.row[kept])
            step_of, wall_of = step_of[kept], wall_of[kept]
        small = points.code.astype(np.int16) if len(points.keys) < 1 << 15 else points.code
        order = np.argsort(small, kind="stable")  # a radix sort for 16-bit codes
        bounds = np.searchsorted(points.code[order], np.arange(len(points.keys) + 1))
        for index, attr_path in enumerate(points.keys):
            picked = order[bounds[index] : bounds[index + 1]]
            key = metric_key(attr_path)
            step = step_of[picked]
            whole = np.floor(step)
            if not np.array_equal(whole, step):
                warnings.append(f"{key}: fractional steps rounded down to whole steps")
            series[key] = sorted_series(key, whole.astype(np.int64), points.value[picked], wall_of[picked])
    if experiment:
        attributes.setdefault("sys/experiment", experiment)
    return NeptuneRun(
        id=run_id,
        name=run_id,
        form="scale",
        project=project,
        state=_state(path, now),
        created_at=created,
        updated_at=updated if updated is not None else created,
        tags=tuple(sorted(tags)),
        notes=f"experiment {experiment}" if experiment else None,
        config=config_from(attributes),
        series=series,
        warnings=tuple(warnings),
        path=str(path.parent.resolve()),
    )


def _snapshot_by_snapshot(snapshots: list[bytes]) -> tuple[Columns, int]:
    """The columns decoded one protobuf snapshot object at a time (one parse per 4,096 rows, one by one in a batch
    holding a damaged row): for rows `snapshot_columns` does not take. Also returns how many rows were unreadable."""
    batch_cls, single_cls = message("UpdateRunSnapshotsRaw"), message("UpdateRunSnapshotRaw")
    entries: list[bytes] = []
    counts: list[int] = []
    steps: list[float] = []
    walls: list[float] = []
    assign: list[Any] = []
    modify_sets: list[Any] = []
    bad = 0
    for start in range(0, len(snapshots), _BATCH):
        chunk = snapshots[start : start + _BATCH]
        batch = batch_cls()
        try:
            batch.ParseFromString(_frame(chunk))
            decoded = list(batch.snapshots)
        except Exception:  # one damaged row: decode the rows of this batch one by one
            decoded = []
            for blob in chunk:
                single = single_cls()
                try:
                    single.ParseFromString(blob)
                except Exception:
                    bad += 1
                    continue
                decoded.append(single)
        for snap in decoded:
            has = snap.HasField
            step, stamp = snap.step, snap.timestamp
            steps.append(float(step.whole) + step.micro / 1e6 if has("step") else np.nan)
            walls.append(stamp.seconds + stamp.nanos / 1e9 if has("timestamp") else np.nan)
            entries.extend(snap.append)
            counts.append(len(snap.append))
            assign.extend(snap.assign)
            modify_sets.extend(snap.modify_sets)
    columns = Columns(
        np.asarray(steps, dtype=np.float64),
        np.asarray(walls, dtype=np.float64),
        decode_entries(entries, counts),
        assign,
        modify_sets,
    )
    return columns, bad


def _apply(assign: Iterable[Any], modify_sets: Iterable[Any], attributes: dict[str, Any], tags: set[str]) -> None:
    """Assigned attributes and tag changes, in write order (appended points are decoded in bulk)."""
    for entry in assign:
        attributes[entry.key] = _scalar(entry.value)
    for entry in modify_sets:
        if entry.key != "sys/tags":
            continue
        for change in entry.value.string.values:
            if change.value == 1:
                tags.add(change.key)
            elif change.value == 2:
                tags.discard(change.key)


def _scalar(value: Any) -> Any:
    for field in ("float64", "int64", "bool", "string"):
        if value.HasField(field):
            return getattr(value, field)
    if value.HasField("timestamp"):
        return value.timestamp.seconds + value.timestamp.nanos / 1e9
    if value.HasField("string_set"):
        return list(value.string_set.values)
    return None


def _state(path: Path, now: float) -> RunState:
    """running while the writer keeps its write-ahead log and wrote recently; otherwise unknown (neptune-scale
    records no end of run)."""
    wal = path.with_name(path.name + "-wal")
    try:
        if wal.exists() and now - wal.stat().st_mtime < RUNNING_WINDOW_S:
            return "running"
    except OSError:
        pass
    return "unknown"
