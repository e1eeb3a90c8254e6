"""Awkward doubles logged with the real mlflow client come back bit for bit, in every store kind.

The sqlite reader moves rows out of SQLite in bulk; this proves no value is rounded on the way
(a text or JSON detour through SQLite's 15-digit float formatting would fail here). Compared bit
patterns, not `==`, so -0.0 and 0.0 are told apart wherever MLflow itself tells them apart.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.mlflow import MlflowRunSource
from runwise.adapters.sources.mlflow.server import MlflowServerRunSource
from runwise.ports.run_source import RunSource
from tests import mlflow_support

MAX = sys.float_info.max
AWKWARD = [
    0.1 + 0.2,  # 0.30000000000000004: 17 significant digits
    1 / 3,
    1e-310,  # subnormal
    5e-324,  # the smallest subnormal
    2.2250738585072014e-308,  # the smallest normal
    float(np.nextafter(MAX, 0.0)),  # just below MLflow's stand-in for +Inf: must stay finite
    -float(np.nextafter(MAX, 0.0)),
    MAX,  # SQL stores write +Inf as this very value, so there it reads back as +Inf (MLflow cannot tell them apart)
    -0.0,
    0.0,
    1e300,
    -1e-300,
    123456789.12345679,
    2.0**53 + 2,
    float(np.float32(0.1)),  # a float32 value widened, as torch's .item() gives
]


def _random_doubles(count: int) -> list[float]:
    """Finite doubles drawn from every exponent (random bit patterns), minus MLflow's ±max stand-ins."""
    bits = np.random.default_rng(12).integers(0, 2**63, size=count * 2, dtype=np.int64)
    values = bits.view(np.float64)
    values = values[np.isfinite(values) & (np.abs(values) != MAX)]
    signs = np.where(np.arange(values.size) % 2 == 0, 1.0, -1.0)
    return (values * signs)[:count].tolist()


def _bucket_edges() -> list[float]:
    """Powers of two 2**-128, 2**-124, ... 2**124 (the sqlite reader's bucket bounds) and their neighbours, +/-."""
    out = []
    for i, exponent in enumerate(range(-128, 125, 4)):
        edge = 2.0**exponent
        sign = 1.0 if i % 2 == 0 else -1.0
        out += [sign * edge, -sign * float(np.nextafter(edge, 0.0)), sign * float(np.nextafter(edge, np.inf))]
    return out


def _everyday_doubles(count: int) -> list[float]:
    """Random doubles of every exponent metrics usually have (2**-128 to 2**120), full 53-bit mantissas."""
    rng = np.random.default_rng(13)
    mantissas = rng.random(count) + 1.0
    signs = np.where(rng.random(count) < 0.5, -1.0, 1.0)
    return (signs * np.ldexp(mantissas, rng.integers(-128, 120, size=count))).tolist()


VALUES = AWKWARD + _random_doubles(300) + _bucket_edges() + _everyday_doubles(300)
STORES = ("sqlite", "files", "server")


def _job(store: str) -> dict[str, object]:
    rows = [[step, {"awkward": value, "steady": float(step)}] for step, value in enumerate(VALUES)]
    return {"store": store, "runs": [{"name": "awkward", "experiment": "exact", "rows": rows}], "dump_history": True}


for _store in STORES:
    mlflow_support.register(_job(_store))


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[RunSource, str, dict[str, object], bool]:
    """(source, run id, what MlflowClient.get_metric_history returned, whether the store is an SQL one)."""
    base, ids = mlflow_support.cached(_job(request.param))
    history = json.loads((base / "history.json").read_text())[ids["awkward"]]
    if request.param == "server":  # backed by sqlite
        return MlflowServerRunSource(mlflow_support.server().url), ids["awkward"], history, True
    if request.param == "sqlite":
        shutil.copy(base / "mlflow.db", tmp_path / "mlflow.db")
    else:
        shutil.copytree(base / "mlruns", tmp_path / "mlruns")
    return MlflowRunSource(tmp_path), ids["awkward"], history, request.param == "sqlite"


def _bits(values: object) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.int64).tolist()  # type: ignore[no-any-return]


def test_awkward_doubles_round_trip_bit_for_bit(store: tuple[RunSource, str, dict[str, object], bool]) -> None:
    source, run_id, history, sql = store
    got = source.load_series(run_id, ["awkward"])["awkward"]
    points = sorted(history["awkward"], key=lambda p: (p[0], p[2]))  # type: ignore[call-overload]
    expected = np.array([p[1] for p in points], dtype=np.float64)
    if sql:  # the one ambiguity of MLflow's SQL encoding, read as the Inf it usually is; files keep "inf"
        expected[expected == MAX] = np.inf
        expected[expected == -MAX] = -np.inf
    assert got.steps.tolist() == [p[0] for p in points] == list(range(len(VALUES)))
    assert _bits(got.values) == _bits(expected)
    logged = np.array(VALUES)
    if sql:
        logged[logged == MAX] = np.inf
    stored_as_logged = _bits(got.values) == _bits(logged)
    zero = VALUES.index(-0.0)
    if not stored_as_logged:  # only -0.0 may differ: a store that keeps whole numbers as integers drops its sign
        differs = [i for i, (a, b) in enumerate(zip(_bits(got.values), _bits(logged))) if a != b]
        assert differs == [zero] and got.values[zero] == 0.0
    assert got.wall_time is not None
    assert (got.wall_time * 1000).tolist() == [p[2] for p in points]  # type: ignore[index]


def test_sqlite_bulk_read_needs_no_row_by_row_fallback() -> None:
    """The bulk aggregate itself is exact: the awkward run is read by it, not by the row-by-row fallback."""
    import sqlite3

    from runwise.adapters.sources.mlflow.sql_bulk import read_columns

    base, ids = mlflow_support.cached(_job("sqlite"))
    history = json.loads((base / "history.json").read_text())[ids["awkward"]]
    conn = sqlite3.connect(f"file:{base / 'mlflow.db'}?mode=ro", uri=True)
    try:
        steps, values, is_nan, wall = read_columns(conn, ids["awkward"], "awkward")
        apart = conn.execute(  # rows outside the bucketed exponents, which a second query reads
            "SELECT count(*) FROM metrics WHERE key = 'awkward' AND value <> 0 AND (abs(value) >= ? OR abs(value) < ?)",
            (2.0**120, 2.0**-128),
        ).fetchone()[0]
    finally:
        conn.close()
    order = np.lexsort((steps, wall))
    points = sorted(history["awkward"], key=lambda p: (p[2], p[0]))  # type: ignore[call-overload]
    assert steps[order].tolist() == [p[0] for p in points]
    assert wall[order].tolist() == (np.array([p[2] for p in points], dtype=np.float64) / 1000.0).tolist()
    assert not is_nan.any()
    assert _bits(values[order]) == _bits([p[1] for p in points])
    assert 0 < apart < len(VALUES) // 2  # both ways out of the encoding (bucketed, read apart) are exercised
