"""An MLflow SQL store in a sqlite file, read with stdlib `sqlite3` and never written to.

Read-only, provably: the file is opened through a `file:` URI with `mode=ro`, so SQLite cannot
write it, create a rollback journal beside it, or take a write lock. One case needs more: a
database in WAL mode. A read-only connection to it uses the `-wal` and `-shm` files a writer left
beside it, and when they are missing SQLite would create them in the user's folder. So a WAL
database without both files is opened with `immutable=1` instead: nothing is locked or created,
and with no `-wal` file there is nothing outside the main file to miss; the price is that a writer
starting during that read is not seen (the next read sees it). MLflow itself leaves its sqlite
stores in the default rollback-journal mode, which always takes the plain `mode=ro` path.

Speed: each metric comes out of SQLite as a few aggregate rows of integer texts (sql_bulk.py says
how doubles stay exact), keys are read by parallel threads, and rows only go one Python tuple at a
time (the plain path below) if the bulk texts come out malformed. Figures are in sql_bulk.py and
bench/bench_mlflow.py. Keeping freed memory for reuse during the read (adapters/allocator.py) was
tried: the 1M x 8 bench run's whole `runwise run` took 5% less CPU (4.64 vs 4.91 s user+sys, medians of
3 alternated, load ~4) but peaked 9 MiB higher (285 vs 277 MiB) against its 300 MB budget, and at 100k
steps made no difference (0.348 vs 0.345 s CPU for `series`); not taken.

Tried and not taken (measured in one process on the 100k x 8 bench store, SQLite 3.40.1, CPU s): the
per-row fetch (`np.fromiter` over the cursor, 0.71 for the run); moving values out as JSON or decimal
text (`json_group_array(value)`, `group_concat`) is not exact before SQLite 3.43 (15 significant
digits), and exact text (`printf('%!.20e')`) costs 0.48, more than the per-row fetch of one column
(0.30); `log2`/`pow` to split doubles into integers is exact and as fast as the bucket comparisons
taken, but needs SQLite's optional math functions; `PRAGMA mmap_size` saves the page copies but
counts the whole mapped file in the process's resident memory (560 MiB after one 1M-row key); the
ADBC SQLite driver copies rows into Arrow in C but its import (0.17) eats most of the gain.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Collection, Hashable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.fs import file_identity
from runwise.adapters.sources.mlflow.records import RunRecord, decode_sql_values, ordered_series, series_by_time
from runwise.adapters.sources.mlflow.revisions import KNOWN_REVISIONS, NEWEST, NEWEST_MLFLOW, OLDER_REVISIONS
from runwise.adapters.sources.mlflow.sql_bulk import NotBulkReadable, SharedColumns, read_columns
from runwise.adapters.sqlite_readonly import is_sqlite, is_wal
from runwise.domain.errors import InvalidInput
from runwise.domain.model import MetricSeries

SUFFIXES = (".db", ".sqlite", ".sqlite3")
MLFLOW_TABLES = frozenset({"runs", "experiments", "metrics", "params", "tags", "alembic_version"})
BUSY_TIMEOUT_S = 5.0
READERS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

_RUNS = """
SELECT r.run_uuid, e.name, r.status, r.start_time, r.end_time, r.name, r.user_id,
       (SELECT max(step) FROM latest_metrics m WHERE m.run_uuid = r.run_uuid),
       (SELECT max(timestamp) FROM latest_metrics m WHERE m.run_uuid = r.run_uuid)
FROM runs r LEFT JOIN experiments e ON e.experiment_id = r.experiment_id
WHERE r.lifecycle_stage = 'active' AND coalesce(e.lifecycle_stage, 'active') = 'active'
"""


_LAST_STEPS = "SELECT key, step, NULL FROM latest_metrics WHERE run_uuid = ?1"
# with the rows other runs logged under the same keys (estimated from their last steps), which decide the index
_LAST_STEPS_AND_OTHERS = """
SELECT m.key, m.step, (SELECT total(o.step + 1) FROM latest_metrics o WHERE o.key = m.key AND o.run_uuid <> ?1)
FROM latest_metrics m WHERE m.run_uuid = ?1
"""
_METRICS_INDEXES = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'metrics' ORDER BY name"


def readonly_uri(path: Path) -> str:
    """The URI that opens `path` without ever writing to or beside it (see the module docstring)."""
    uri = path.resolve().as_uri()
    if is_wal(path):
        wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
        if not (wal.exists() and shm.exists()):
            return uri + "?immutable=1"
    return uri + "?mode=ro"


class SqliteStore:
    """One MLflow sqlite store; every call opens a short read-only connection (safe across threads)."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._checked = False
        self._index: str | None = None  # "" once looked up and not found

    @classmethod
    def probe(cls, path: Path) -> SqliteStore | None:
        """The store in `path` if the file holds MLflow's tables (its name proves nothing); else None."""
        if not is_sqlite(path):
            return None
        store = cls(path)
        try:
            with store._connect(check=False) as conn:
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except (sqlite3.Error, OSError):
            return None
        return store if tables >= MLFLOW_TABLES else None

    @contextmanager
    def _connect(self, *, check: bool = True) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(readonly_uri(self.path), uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            raise self._error(exc) from exc
        with closing(conn):
            try:
                if check and not self._checked:
                    self._check_revision(conn)
                yield conn
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def _error(self, exc: BaseException) -> InvalidInput:
        text = " ".join(str(exc).split()) or type(exc).__name__
        if "locked" in text or "busy" in text:
            return InvalidInput(f"{self.path} is locked by a writer ({text})", "try again in a moment")
        return InvalidInput(f"cannot read the MLflow store {self.path}: {text}", "check that the file is whole")

    def _check_revision(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = str(row[0]) if row else "none"
        if revision in OLDER_REVISIONS:
            raise InvalidInput(
                f"{self.path} is an MLflow store at schema revision {revision}, older than Runwise reads",
                f"upgrade a copy with: mlflow db upgrade sqlite:///{self.path.name}",
            )
        if revision not in KNOWN_REVISIONS:
            raise InvalidInput(
                f"{self.path} has MLflow schema revision {revision}, which Runwise does not know "
                f"(it reads revisions up to {NEWEST}, MLflow {NEWEST_MLFLOW})",
                "upgrade runwise; a newer MLflow may have changed the tables",
            )
        self._checked = True

    # runs ------------------------------------------------------------------------------------
    def records(self, run_id: str | None = None) -> list[RunRecord]:
        """Every active run (or just `run_id`), with its tags and last step from `latest_metrics`."""
        sql, args = (_RUNS, ()) if run_id is None else (_RUNS + " AND r.run_uuid = ?", (run_id,))
        with self._connect() as conn:
            rows = conn.execute(sql, args).fetchall()
            tag_sql = "SELECT run_uuid, key, value FROM tags" + ("" if run_id is None else " WHERE run_uuid = ?")
            tags: dict[str, dict[str, str]] = {}
            for uuid, key, value in conn.execute(tag_sql, args):
                tags.setdefault(uuid, {})[key] = value or ""
        where = str(self.path.resolve())
        return [
            RunRecord(
                id=uuid,
                experiment=experiment,
                status=status or "",
                start_ms=start,
                end_ms=end,
                tags=tags.get(uuid, {}),
                fallback_name=name,
                user=user,
                last_step=last_step,
                last_metric_ms=last_ms,
                path=where,
            )
            for uuid, experiment, status, start, end, name, user, last_step, last_ms in rows
        ]

    def params(self, run_id: str) -> dict[str, str]:
        with self._connect() as conn:
            return {k: v for k, v in conn.execute("SELECT key, value FROM params WHERE run_uuid = ?", (run_id,))}

    def keys(self, run_id: str) -> list[str]:
        """Every metric key of the run (`latest_metrics` holds one row per key)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT key FROM latest_metrics WHERE run_uuid = ? ORDER BY key", (run_id,))
            return [row[0] for row in rows]

    def series(self, run_id: str, keys: Collection[str]) -> dict[str, MetricSeries]:
        """Every point of each key, NaN and ±Inf restored; keys are read by up to READERS threads at once.

        SQLite runs each aggregate with the GIL released, so on two cores two keys are read in about the
        time of one (each thread has its own connection and read transaction)."""
        keys = list(keys)
        with self._connect() as conn:
            row = conn.execute("SELECT start_time FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
            index = self._run_index(conn)
            sql = _LAST_STEPS if index is None else _LAST_STEPS_AND_OTHERS
            last_steps = {key: (step, others) for key, step, others in conn.execute(sql, (run_id,))}
        base = row[0] if row and isinstance(row[0], int) and abs(row[0]) < 2**53 else 0
        hints = {key: step + 1 if isinstance(step, int) else None for key, (step, _) in last_steps.items()}
        through = {key: index for key, (step, others) in last_steps.items() if _through_run_index(step, others)}
        out: dict[str, MetricSeries] = {}
        failures: list[BaseException] = []
        pending = iter(keys)
        lock = threading.Lock()
        shared = SharedColumns()

        def reader() -> None:
            try:
                with self._connect() as conn:
                    conn.execute("BEGIN")  # the queries of one key see one snapshot
                    try:
                        while not failures:
                            with lock:
                                key = next(pending, None)
                            if key is None:
                                return
                            out[key] = _read_key(conn, run_id, key, base, hints.get(key), shared, through.get(key))
                    finally:
                        conn.rollback()
            except BaseException as exc:  # raised again in the calling thread
                failures.append(exc)

        threads = [threading.Thread(target=reader, daemon=True) for _ in range(min(len(keys), READERS) - 1)]
        for thread in threads:
            thread.start()
        reader()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return {key: out[key] for key in keys}

    def _run_index(self, conn: sqlite3.Connection) -> str | None:
        """An index on metrics (run_uuid, key, step), which MLflow adds from revision a5b4c3d2e1f0 (looked up once)."""
        if self._index is None:
            self._index = ""
            try:
                for (name,) in conn.execute(_METRICS_INDEXES).fetchall():
                    columns = [row[0] for row in conn.execute("SELECT name FROM pragma_index_info(?)", (name,))]
                    if columns[:3] == ["run_uuid", "key", "step"]:
                        self._index = name
                        break
            except sqlite3.OperationalError:  # an SQLite before 3.16 has no pragma functions: the primary key it is
                pass
        return self._index or None

    def identity(self) -> Hashable:
        """Size and mtime of the database and its WAL: any write to the store changes them."""
        return file_identity((self.path, self.path.with_name(self.path.name + "-wal")))


def _through_run_index(step: object, others: object) -> bool:
    """Whether a key is read faster through the index (run_uuid, key, step) than through the primary key.

    The primary key (key, timestamp, ...) holds every column but begins with the key alone: reading one run's
    key through it passes over every other run's rows of that key, ~120 ns each. The run's index leads to the
    run's rows only, but each then costs a look-up in the table, ~190 ns more than through the primary key
    (measured with bench/bench_mlflow.py's 100k-step store plus 9 runs logging 2 of its keys: 36 ms a key
    alone, 146 ms beside the 9 others through the primary key, 51-58 ms through the run's index). So the
    index is taken when the other runs' rows of the key (their last steps in `latest_metrics`) outnumber the
    run's own by more than 1.5 times; either way every row is read."""
    if not isinstance(step, int) or not isinstance(others, int | float):
        return False
    return others > 1.5 * (step + 1)


def _read_key(
    conn: sqlite3.Connection,
    run_id: str,
    key: str,
    base_ms: int,
    rows_hint: int | None,
    shared: SharedColumns,
    index: str | None = None,
) -> MetricSeries:
    try:
        steps, values, is_nan, wall = read_columns(conn, run_id, key, base_ms, rows_hint, shared, index)
    except NotBulkReadable:
        steps, values, is_nan, times = _rows(conn, run_id, key)
        return ordered_series(key, steps, decode_sql_values(values, is_nan), times)
    return series_by_time(key, steps, decode_sql_values(values, is_nan), wall)


def _rows(
    conn: sqlite3.Connection, run_id: str, key: str
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64]]:
    """The same columns as sql_bulk.read_columns, fetched row by row (the slow, plain path)."""
    cursor = conn.execute(
        "SELECT step, value, timestamp * 2 + is_nan FROM metrics WHERE run_uuid = ? AND key = ?", (run_id, key)
    )
    flat = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.float64).reshape(-1, 3)
    packed = flat[:, 2].astype(np.int64)
    return flat[:, 0].astype(np.int64), flat[:, 1].copy(), (packed & 1).astype(bool), packed >> 1
