"""An MLflow SQL store in a sqlite file, read with stdlib `sqlite3` and never written to.

Read-only, provably: the file is opened through a `file:` URI with `mode=ro`, so SQLite cannot
write it, create a rollback journal beside it, or take a write lock. One case needs more: a
database in WAL mode. A read-only connection to it uses the `-wal` and `-shm` files a writer left
beside it, and when they are missing SQLite would create them in the user's folder. So a WAL
database without both files is opened with `immutable=1` instead: nothing is locked or created,
and with no `-wal` file there is nothing outside the main file to miss; the price is that a writer
starting during that read is not seen (the next read sees it). MLflow itself leaves its sqlite
stores in the default rollback-journal mode, which always takes the plain `mode=ro` path.

Speed: one indexed query per metric key, and the rows go straight from the cursor into numpy
(`np.fromiter` over the flattened cursor) without a Python list in between; `timestamp * 2 +
is_nan` packs the NaN flag into the time column so each row costs three numbers. Figures are in
bench/bench_mlflow.py.

Tried and not taken (measured in one process on the 100k x 8 bench store, SQLite 3.40.1): moving the
rows out as one aggregate per key (`json_group_array(value)` or `group_concat`) parsed by orjson is
not exact: SQLite before 3.43 renders a REAL with 15 significant digits (0.1 + 0.2 comes out as
0.3), and formatting 800k doubles as text costs about as much as the per-row Python floats it would
save (0.46 s against 0.29 s for a one-column fetch, the SQL pass itself 0.18 s). Splitting each
double into integers in SQL (`log2`, `pow`) is exact but slower than the fetch. The ADBC SQLite
driver copies rows into Arrow in C but its import (0.17 s) eats most of the gain. The awkward-value
test (tests/unit/adapters/test_mlflow_exact_values.py) guards any future bulk path.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Collection, Hashable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.fs import file_identity
from runwise.adapters.sources.mlflow.records import RunRecord, decode_sql_values, ordered_series
from runwise.adapters.sources.mlflow.revisions import KNOWN_REVISIONS, NEWEST, NEWEST_MLFLOW, OLDER_REVISIONS
from runwise.adapters.sources.mlflow.sql_bulk import NotBulkReadable, read_columns
from runwise.adapters.sqlite_readonly import is_sqlite, is_wal
from runwise.domain.errors import InvalidInput
from runwise.domain.model import MetricSeries

SUFFIXES = (".db", ".sqlite", ".sqlite3")
MLFLOW_TABLES = frozenset({"runs", "experiments", "metrics", "params", "tags", "alembic_version"})
BUSY_TIMEOUT_S = 5.0

_RUNS = """
SELECT r.run_uuid, e.name, r.status, r.start_time, r.end_time, r.name, r.user_id,
       (SELECT max(step) FROM latest_metrics m WHERE m.run_uuid = r.run_uuid),
       (SELECT max(timestamp) FROM latest_metrics m WHERE m.run_uuid = r.run_uuid)
FROM runs r LEFT JOIN experiments e ON e.experiment_id = r.experiment_id
WHERE r.lifecycle_stage = 'active' AND coalesce(e.lifecycle_stage, 'active') = 'active'
"""


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
        """Every point of each key, NaN and ±Inf restored (bulk aggregate, row by row if that fails)."""
        out: dict[str, MetricSeries] = {}
        with self._connect() as conn:
            conn.execute("BEGIN")  # one snapshot for every key and both queries of sql_bulk
            try:
                for key in keys:
                    try:
                        steps, values, is_nan, times = read_columns(conn, run_id, key)
                    except NotBulkReadable:
                        steps, values, is_nan, times = _rows(conn, run_id, key)
                    out[key] = ordered_series(key, steps, decode_sql_values(values, is_nan), times)
            finally:
                conn.rollback()
        return out

    def identity(self) -> Hashable:
        """Size and mtime of the database and its WAL: any write to the store changes them."""
        return file_identity((self.path, self.path.with_name(self.path.name + "-wal")))


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
