"""Following a growing MLflow run: each poll reads only the metric rows logged since the previous one.

- sqlite store: one query for the run's rows after the last row id read (`rowid > ?`, served by MLflow's
  `index_metrics_run_uuid`, whose entries are ordered by row id within a run). SQLite has one writer at a
  time and gives each insert the next row id, so a committed row never appears below one already read.
  Nothing is queried while the database file (and its WAL) keep their size and mtime.
- file store (`mlruns/`): each `metrics/<key>` file is read from the byte offset reached before, up to its
  last whole line; files that appear later (a new key) are found by listing the run's `metrics/` folder.
- the REST server keeps the reload-on-change path of the watch service (its history API pages by key).

A file that shrank, or a database whose rows went back below the last row id (replaced, rewritten), is read
anew from its start, keeping only points after the last step already reported for each key.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.mlflow.file_store import (
    FileStore,
    _int,
    _key_files,
    _meta,
    _parse_fast,
    _parse_lines,
    _read_text,
)
from runwise.adapters.sources.mlflow.records import (
    STATES,
    STATUS_NUMBERS,
    config_from_params,
    decode_sql_values,
    ordered_series,
)
from runwise.adapters.sources.mlflow.sqlite_store import SqliteStore
from runwise.domain.errors import InvalidInput
from runwise.domain.model import MetricSeries, RunState
from runwise.domain.watch import Increment, ReportedSteps

READ_ROWS = 1_000_000  # one poll reads at most this many sqlite rows; the rest comes on the next poll
READ_LIMIT = 64 << 20  # one poll reads at most this much of a metric file
_ROWS = (
    "SELECT rowid, key, step, value, timestamp * 2 + is_nan FROM metrics "
    "WHERE run_uuid = ? AND rowid > ? ORDER BY rowid LIMIT ?"
)


class SqliteFollower:
    """The last metric row id read of one run in an MLflow sqlite store."""

    def __init__(self, store: SqliteStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id
        self.last_rowid = 0
        self.rows_read = 0  # every row this follower fetched, for tests and benchmarks
        self.state: RunState = "unknown"
        self._identity: object = None
        self._params: dict[str, str] | None = None
        self._reported = ReportedSteps()

    def paths(self) -> Sequence[str]:
        return [str(self.store.path.resolve())]

    def poll(self) -> Increment:
        identity = self.store.identity()
        if identity == self._identity:
            return Increment(state=self.state)
        try:
            with self.store._connect() as conn:
                top = conn.execute("SELECT max(rowid) FROM metrics WHERE run_uuid = ?", (self.run_id,)).fetchone()
                warnings: tuple[str, ...] = ()
                if top[0] is not None and top[0] < self.last_rowid:
                    warnings = (f"{self.store.path.name} was rewritten; read anew",)
                    self.last_rowid, self._reported.restarted = 0, True
                cursor = conn.execute(_ROWS, (self.run_id, self.last_rowid, READ_ROWS))
                rows = cursor.fetchall()
                status = conn.execute("SELECT status FROM runs WHERE run_uuid = ?", (self.run_id,)).fetchone()
                params = dict(conn.execute("SELECT key, value FROM params WHERE run_uuid = ?", (self.run_id,)))
        except InvalidInput as exc:  # locked by a writer, or damaged: said, and tried again next poll
            return Increment(state=self.state, warnings=(str(exc),))
        if len(rows) < READ_ROWS:
            self._identity = identity  # all read: the next poll may skip the query until the file changes
        self.rows_read += len(rows)
        if status is not None:
            self.state = STATES.get(str(status[0] or "").upper(), "unknown")
        config = None
        if params != self._params:
            self._params = params
            config = config_from_params(params)
        if rows:
            self.last_rowid = int(rows[-1][0])
        return Increment(series=self._reported.keep(_by_key(rows)), state=self.state, warnings=warnings,
                         config=config)  # fmt: skip


def _by_key(rows: list[tuple[int, str, int, float, int]]) -> dict[str, MetricSeries]:
    grouped: dict[str, list[tuple[int, str, int, float, int]]] = {}
    for row in rows:
        grouped.setdefault(row[1], []).append(row)
    out: dict[str, MetricSeries] = {}
    for key, part in grouped.items():
        flat = np.fromiter(itertools.chain.from_iterable((r[2], r[3], r[4]) for r in part), dtype=np.float64)
        table = flat.reshape(-1, 3)
        steps = table[:, 0].astype(np.int64)
        packed = table[:, 2].astype(np.int64)
        values = decode_sql_values(table[:, 1].copy(), (packed & 1).astype(bool))
        out[key] = ordered_series(key, steps, values, packed >> 1)
    return out


class FileStoreFollower:
    """A byte offset per metric file of one run in an `mlruns/` folder."""

    def __init__(self, store: FileStore, run_id: str, folder: Path) -> None:
        self.store = store
        self.run_id = run_id
        self.folder = folder
        self.offsets: dict[str, int] = {}
        self.state: RunState = "unknown"
        self._params: dict[str, str] | None = None
        self._reported = ReportedSteps()

    def paths(self) -> Sequence[str]:
        return [str(self.folder.resolve())]

    def poll(self) -> Increment:
        series: dict[str, MetricSeries] = {}
        warnings: list[str] = []
        read = 0
        for key, path in sorted(_key_files(self.folder / "metrics").items()):
            part, nbytes, problem = self._read(key, path)
            read += nbytes
            if problem:
                warnings.append(problem)
            if part is not None and len(part):
                series[key] = part
        meta = _meta(self.folder)  # a few lines: the status the client writes when the run ends
        status = _int(meta.get("status")) if meta else None
        if status is not None:
            self.state = STATES.get(STATUS_NUMBERS.get(status, ""), "unknown")
        config = None
        if series or self._params is None:
            params = {key: (_read_text(path) or "") for key, path in _key_files(self.folder / "params").items()}
            if params != self._params:
                self._params = params
                config = config_from_params(params)
        return Increment(series=self._reported.keep(series), state=self.state, bytes_read=read,
                         warnings=tuple(warnings), config=config)  # fmt: skip

    def _read(self, key: str, path: Path) -> tuple[MetricSeries | None, int, str | None]:
        offset = self.offsets.get(key, 0)
        problem = None
        try:
            with open_regular(path) as stream:
                size = os.fstat(stream.fileno()).st_size
                if size == offset:
                    return None, 0, None
                if size < offset:
                    problem = f"metric file {key} shrank; read anew"
                    offset, self._reported.restarted = 0, True
                stream.seek(offset)
                data = stream.read(min(size - offset, READ_LIMIT))
        except OSError as exc:
            return None, 0, f"cannot read metric file {key}: {exc.strerror or exc}"
        cut = data.rfind(b"\n")
        if cut < 0:
            return None, len(data), problem  # only a line being written so far
        whole = data[: cut + 1]
        self.offsets[key] = offset + cut + 1
        table = _parse_fast(whole)
        times, values, steps = table if table is not None else _parse_lines(whole)
        return ordered_series(key, steps, values, times), len(data), problem


def follower(store: SqliteStore | FileStore, run_id: str) -> SqliteFollower | FileStoreFollower:
    """The incremental reader for a run of this store kind."""
    if isinstance(store, SqliteStore):
        return SqliteFollower(store, run_id)
    return FileStoreFollower(store, run_id, store._run_folder(run_id))
