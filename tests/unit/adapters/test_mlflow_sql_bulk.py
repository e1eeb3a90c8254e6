"""The MLflow sqlite reader's bulk path (sql_bulk.py) on runs the real mlflow client wrote.

Chunks are made tiny here so a few dozen rows cross many chunk boundaries, including steps logged
several times at the same millisecond (the rows a chunk must not split); every way of reading must
give the same series as one unchunked read and as the plain row-by-row query.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.mlflow import sql_bulk
from runwise.adapters.sources.mlflow.sqlite_store import SqliteStore, _rows
from runwise.adapters.sqlite_readonly import open_readonly
from runwise.domain.model import MetricSeries
from tests import mlflow_support

MAX = 1.7976931348623157e308


def _rows_logged() -> list[list[object]]:
    """Steps 0..39; every 5th step logged three times (same timestamp); NaN, ±Inf (both at step 10), a subnormal;
    `twin` in the very rows of `plain`, `sparse` only at even steps."""
    rows: list[list[object]] = []
    for step in range(40):
        repeats = 3 if step % 5 == 0 else 1
        for again in range(repeats):
            value = 1.0 / (step + 1) + again * 0.25
            if step == 7:
                value = float("nan")
            elif step == 10:
                value = float("inf") if again == 0 else -float("inf")
            elif step == 13:
                value = 5e-324
            row = {"dup": value, "plain": float(step) * 0.1 + again, "twin": -float(step) - again}
            if step % 2 == 0 and again == 0:
                row["sparse"] = step * 0.5  # logged at other steps than the rest
            rows.append([step, row])
    return rows


JOB = {"store": "sqlite", "runs": [{"name": "chunks", "experiment": "bulk", "rows": _rows_logged()}]}
mlflow_support.register(JOB)


# three runs logging the same keys: reading one through the primary key would pass over the others' rows
SWEEP = {
    "store": "sqlite",
    "runs": [
        {
            "name": f"trial-{i}",
            "experiment": "sweep",
            "rows": [[step, {k: -v for k, v in row.items()}] for step, row in _rows_logged()]
            if i == 1
            else _rows_logged(),
        }
        for i in range(3)
    ],
}
mlflow_support.register(SWEEP)


@pytest.fixture(scope="module")
def store() -> tuple[SqliteStore, str]:
    base, ids = mlflow_support.cached(JOB)
    return SqliteStore(Path(base) / "mlflow.db"), ids["chunks"]


def _bits(column: object, order: object = None) -> list[int]:
    """A column's bytes, optionally reordered: equal bits, -0.0 and every NaN payload included."""
    array = np.asarray(column)
    return (array if order is None else array[order]).view(np.uint8).tolist()  # type: ignore[no-any-return]


def _same(a: MetricSeries, b: MetricSeries) -> bool:
    assert a.wall_time is not None and b.wall_time is not None
    return bool(
        a.steps.tolist() == b.steps.tolist()
        and a.values.view(np.int64).tolist() == b.values.view(np.int64).tolist()
        and a.wall_time.tolist() == b.wall_time.tolist()
    )


def test_every_chunk_size_reads_the_same_series(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_store, run_id = store
    whole = sqlite_store.series(run_id, ["dup", "plain"])
    assert len(whole["dup"]) == 40 and np.isnan(whole["dup"].values[7]) and whole["dup"].values[13] == 5e-324
    for rows in (1, 2, 3, 4, 7, 64):  # 1 and 2: a repeated step fills whole chunks, so the plain path takes over
        monkeypatch.setattr(sql_bulk, "CHUNK_ROWS", rows)
        chunked = sqlite_store.series(run_id, ["dup", "plain"])
        assert _same(chunked["dup"], whole["dup"]) and _same(chunked["plain"], whole["plain"]), rows


def test_chunks_match_the_plain_rows_in_index_order(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_store, run_id = store
    monkeypatch.setattr(sql_bulk, "CHUNK_ROWS", 4)
    with open_readonly(sqlite_store.path) as conn:
        bulk = sql_bulk.read_columns(conn, run_id, "dup")
        plain = _rows(conn, run_id, "dup")
    assert len(bulk[0]) == len(plain[0]) == 55  # every row (-Inf twice at step 10 is one row), none doubled
    order = np.lexsort((plain[0], plain[3]))  # the plain query has no ORDER BY: compare in (timestamp, step) order
    bulk_order = np.lexsort((bulk[0], bulk[3]))
    wall = plain[3].astype(np.float64) / 1000.0  # the bulk path gives wall times in seconds
    for got, want in zip(bulk, (*plain[:3], wall), strict=True):
        assert _bits(got, bulk_order) == _bits(want, order)


def test_bound_powers_read_what_literal_powers_read(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback for an SQLite that would round a decimal literal of a power of two gives the same bits."""
    sqlite_store, run_id = store
    with open_readonly(sqlite_store.path) as conn:
        literal = sql_bulk.queries(conn)
        assert literal.parameters == ()  # this SQLite parses the literals exactly
        with_literals = sql_bulk.read_columns(conn, run_id, "dup")
        monkeypatch.setattr(sql_bulk, "_chosen", sql_bulk._Queries(literal=False))
        bound = sql_bulk.read_columns(conn, run_id, "dup")
    for a, b in zip(with_literals, bound, strict=True):
        assert _bits(a) == _bits(b)
    assert (np.abs(with_literals[1]) == MAX).sum() == 2  # MLflow's ±Inf stand-ins, read apart


def test_bad_integer_text_is_refused_not_misread() -> None:
    with pytest.raises(sql_bulk.NotBulkReadable):
        sql_bulk._integers(b"1,2.5,3", 3)  # a REAL where an integer was expected (an overflow in SQL)
    with pytest.raises(sql_bulk.NotBulkReadable):
        sql_bulk._integers(b"1,3", 3)  # a NULL skipped by group_concat
    assert sql_bulk._integers(b"-1,20,300", 3).tolist() == [-1, 20, 300]


def test_one_query_read_equals_the_chunked_read(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A metric hinted small is read by one query without chunks; a hint that is wrong loses no row."""
    sqlite_store, run_id = store
    monkeypatch.setattr(sql_bulk, "CHUNK_ROWS", 8)
    with open_readonly(sqlite_store.path) as conn:
        chunked = sql_bulk.read_columns(conn, run_id, "dup")
        monkeypatch.setattr(sql_bulk, "CHUNK_ROWS", 1 << 17)
        whole = sql_bulk.read_columns(conn, run_id, "dup", rows_hint=1)  # 55 rows, far more than hinted
    for a, b in zip(chunked, whole, strict=True):
        assert _bits(a) == _bits(b)


def test_a_failure_in_a_reader_thread_reaches_the_caller(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys are read by parallel threads; an error in any of them is raised by `series` itself, once."""
    from runwise.adapters.sources.mlflow import sqlite_store as module
    from runwise.domain.errors import InvalidInput

    sqlite_store, run_id = store
    real = module.read_columns

    def failing(conn: sqlite3.Connection, run: str, key: str, *rest: object) -> object:
        if key == "plain":
            raise InvalidInput("the store went away", "try again")
        return real(conn, run, key, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "READERS", 2)
    monkeypatch.setattr(module, "read_columns", failing)
    with pytest.raises(InvalidInput, match="the store went away"):
        sqlite_store.series(run_id, ["dup", "plain", "dup"])


def test_an_sqlite_that_cannot_run_the_bulk_sql_reads_row_by_row(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row values need SQLite 3.15: where the bulk SQL does not parse, the same series come row by row."""
    sqlite_store, run_id = store
    expected = sqlite_store.series(run_id, ["dup", "plain"])
    broken = sql_bulk._Queries(literal=True)
    broken.columns = broken.columns.replace("(timestamp, step) >=", "(timestamp, step) >>=")
    broken.whole_columns = broken.whole_columns.replace("FROM", "FROM FROM", 1)
    monkeypatch.setattr(sql_bulk, "_chosen", broken)
    got = sqlite_store.series(run_id, ["dup", "plain"])
    assert _same(got["dup"], expected["dup"]) and _same(got["plain"], expected["plain"])


@pytest.mark.parametrize("chunk_rows", [1 << 17, 8])
def test_keys_logged_together_share_their_steps_and_times(
    store: tuple[SqliteStore, str], monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    """Equal step and timestamp texts are parsed once per read, equal chunked columns kept once; other keys'
    columns are their own."""
    sqlite_store, run_id = store
    monkeypatch.setattr(sql_bulk, "CHUNK_ROWS", chunk_rows)
    with open_readonly(sqlite_store.path) as conn:
        keys = ("dup", "plain", "twin", "sparse")
        alone = {key: sql_bulk.read_columns(conn, run_id, key, rows_hint=64) for key in keys}
        shared = sql_bulk.SharedColumns()
        read = {key: sql_bulk.read_columns(conn, run_id, key, 0, 64, shared) for key in keys}
    for key in read:  # the same bits as a read without sharing
        for a, b in zip(read[key], alone[key], strict=True):
            assert _bits(a) == _bits(b), key
    dup, plain, twin, sparse = read["dup"], read["plain"], read["twin"], read["sparse"]
    assert twin[0] is plain[0] and twin[3] is plain[3]  # steps and wall times: one array for both keys
    assert (twin[1] <= 0).all() and (plain[1] >= 0).all()  # values are each key's own
    assert dup[0] is not plain[0] and sparse[0] is not plain[0] and sparse[3] is not plain[3]
    assert sparse[0].tolist() == list(range(0, 40, 2))
    whole = sqlite_store.series(run_id, list(keys))  # the threads of `series` share them too
    assert whole["sparse"].steps.tolist() == list(range(0, 40, 2)) and len(whole["twin"]) == 40


@pytest.fixture(scope="module")
def sweep() -> tuple[SqliteStore, dict[str, str]]:
    base, ids = mlflow_support.cached(SWEEP)
    return SqliteStore(Path(base) / "mlflow.db"), ids


def test_a_run_beside_others_is_read_through_its_own_index(
    sweep: tuple[SqliteStore, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other runs logging the same keys: the run's rows are found through (run_uuid, key, step), and the series
    are the very ones the primary key gives, steps logged twice included, chunked or not."""
    sqlite_store, ids = sweep
    keys = ["dup", "plain", "twin", "sparse"]
    statements: list[str] = []
    real_connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)
    through_index = sqlite_store.series(ids["trial-1"], keys)
    assert any("INDEXED BY" in sql and "group_concat" in sql for sql in statements)
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    from runwise.adapters.sources.mlflow import sqlite_store as module

    monkeypatch.setattr(module, "_through_run_index", lambda step, others: False)
    through_key = sqlite_store.series(ids["trial-1"], keys)
    for key in keys:
        assert _same(through_index[key], through_key[key]), key
    assert through_index["dup"].values[0] == -1.0  # step 0 logged 3 times at one millisecond: -1, -1.25, -1.5
    monkeypatch.setattr(module, "_through_run_index", lambda step, others: True)
    for rows in (2, 3, 4, 64):  # chunks that stop inside a repeated step
        monkeypatch.setattr(sql_bulk, "CHUNK_ROWS", rows)
        chunked = sqlite_store.series(ids["trial-1"], keys)
        assert all(_same(chunked[key], through_key[key]) for key in keys), rows


def test_rows_through_the_run_index_come_in_primary_key_order(sweep: tuple[SqliteStore, dict[str, str]]) -> None:
    sqlite_store, ids = sweep
    with open_readonly(sqlite_store.path) as conn:
        index = sqlite_store._run_index(conn)
        assert index == "index_metrics_run_uuid_key_step"  # what mlflow 3.x creates
        by_key = sql_bulk.read_columns(conn, ids["trial-1"], "dup", rows_hint=64)
        by_run = sql_bulk.read_columns(conn, ids["trial-1"], "dup", rows_hint=64, index=index)
    for a, b in zip(by_key, by_run, strict=True):
        assert _bits(a) == _bits(b)
