"""MLflow sqlite and file stores written by the real mlflow client, read without importing mlflow."""

from __future__ import annotations

import io
import json
import math
import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.fs import RealPathResolver
from runwise.adapters.sources.mlflow import MlflowRunSource
from runwise.adapters.sources.mlflow.revisions import NEWEST
from runwise.adapters.sources.mlflow.server import MlflowServerRunSource
from runwise.domain.errors import InvalidInput, MetricNotFound, RunNotFound
from runwise.entrypoints.cli import main
from runwise.ports.run_source import RunSource
from runwise.services.catalog import Catalog
from tests import mlflow_support
from tests.mlflow_support import GIT_COMMIT, LONG_EXPERIMENT, rich_job

STORES = ("sqlite", "files", "server")
for _store in STORES:
    mlflow_support.register(rich_job(_store))
RICH_EXPERIMENTS = ("vision", "nlp", LONG_EXPERIMENT)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[RunSource, dict[str, str], Path]:
    """The same runs in each store kind (the server's holds other tests' experiments too)."""
    base, ids = mlflow_support.cached(rich_job(request.param))
    if request.param == "server":
        return MlflowServerRunSource(mlflow_support.server().url), ids, base
    if request.param == "sqlite":
        shutil.copy(base / "mlflow.db", tmp_path / "mlflow.db")
    else:
        shutil.copytree(base / "mlruns", tmp_path / "mlruns")
    return MlflowRunSource(tmp_path), ids, base


def test_states_experiments_and_deleted_runs(store: tuple[RunSource, dict[str, str], Path]) -> None:
    source, ids, _ = store
    infos = {i.name: i for i in source.list_runs() if i.project in RICH_EXPERIMENTS}
    assert set(infos) == {"baseline", "diverged", "stopped", "live", "sweep", "trial-1", "trial-2"}
    assert {n: i.state for n, i in infos.items()} == {
        "baseline": "finished",
        "diverged": "crashed",  # FAILED
        "stopped": "crashed",  # KILLED
        "live": "running",
        "sweep": "finished",
        "trial-1": "finished",
        "trial-2": "finished",
    }
    assert infos["baseline"].project == "vision" and infos["live"].project == "nlp"
    assert infos["trial-1"].project == LONG_EXPERIMENT  # folded over two lines in the file store's meta.yaml
    assert f"parent={ids['sweep']}" in infos["trial-1"].tags
    assert infos["baseline"].id == ids["baseline"] and infos["baseline"].last_step == 59
    assert infos["baseline"].runtime_s == pytest.approx(0.595)
    assert [i.project for i in source.list_runs(project="nlp")] == ["nlp", "nlp"]
    assert [i.name for i in source.list_runs(project="nlp")] == ["live", "stopped"]  # newest first


def test_tags_git_note_and_config(store: tuple[RunSource, dict[str, str], Path]) -> None:
    source, ids, _ = store
    run = source.load_run(ids["baseline"])
    assert run.info.git is not None and run.info.git.commit == GIT_COMMIT
    assert run.info.created_at == mlflow_support.BASE_TIME_MS / 1000
    assert run.info.notes == "first try"
    assert "team=cv" in run.info.tags and any(t.startswith("user=") for t in run.info.tags)
    assert run.config == {"batch_size": 64, "dropout": None, "lr": 0.001, "optimizer": "adam", "use_amp": True}


def test_nan_and_infinities_come_back(store: tuple[RunSource, dict[str, str], Path]) -> None:
    source, ids, _ = store
    loss = source.load_series(ids["baseline"], ["train/loss"])["train/loss"]
    assert math.isnan(loss.values[20]) and loss.values[21] == math.inf and loss.values[22] == -math.inf
    assert np.isfinite(np.delete(loss.values, [20, 21, 22])).all()


def test_series_equal_mlflow_client_history(store: tuple[RunSource, dict[str, str], Path]) -> None:
    """Every point MlflowClient.get_metric_history returns, with MLflow's ±1.8e308 read as the ±Inf logged."""
    source, ids, base = store
    history = json.loads((base / "history.json").read_text())
    for name, run_id in ids.items():
        if name == "thrown-away":
            continue
        run = source.load_run(run_id)
        assert set(run.series) == set(history[run_id]), name
        for key, points in history[run_id].items():
            points.sort(key=lambda p: (p[0], p[2]))
            steps = np.array([p[0] for p in points], dtype=np.int64)
            values = np.array([p[1] for p in points], dtype=np.float64)
            values[values == np.finfo(np.float64).max] = np.inf
            values[values == -np.finfo(np.float64).max] = -np.inf
            got = run.series[key]
            np.testing.assert_array_equal(got.steps, steps, err_msg=f"{name} {key}")
            np.testing.assert_array_equal(got.values, values, err_msg=f"{name} {key}")
            assert got.wall_time is not None
            np.testing.assert_array_equal(got.wall_time * 1000, [p[2] for p in points])


def test_system_metrics_and_sparse_keys(store: tuple[RunSource, dict[str, str], Path]) -> None:
    source, ids, _ = store
    run = source.load_run(ids["baseline"])
    assert len(run.series["system/cpu_utilization_percentage"]) == 60
    assert run.series["val/acc"].steps.tolist() == [0, 10, 20, 30, 40, 50]
    with pytest.raises(MetricNotFound):
        source.load_series(ids["baseline"], ["nope"])


def test_every_mlflow_ref_form(store: tuple[RunSource, dict[str, str], Path]) -> None:
    source, ids, _ = store
    catalog = Catalog([source], path_resolver=RealPathResolver())
    for ref in (ids["diverged"], f"mlflow:{ids['diverged']}", "vision/diverged", "mlflow:vision/diverged", "diverged"):
        assert catalog.resolve(ref)[1].id == ids["diverged"], ref
    with pytest.raises(RunNotFound):
        source.load_run(ids["thrown-away"])  # deleted in MLflow: gone for Runwise too


# sqlite specifics ---------------------------------------------------------------------------------
@pytest.fixture
def sqlite_copy(tmp_path: Path) -> Path:
    base, _ = mlflow_support.cached(rich_job("sqlite"))
    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(base / "mlflow.db", folder / "mlflow.db")
    return folder


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def _read_everything_while_watching(folder: Path) -> set[str]:
    """Every file name seen in `folder` while another thread lists and loads every run, over and over."""
    seen: set[str] = set()
    done = threading.Event()

    def read() -> None:
        try:
            for _ in range(3):
                source = MlflowRunSource(folder)
                for info in source.list_runs():
                    source.load_run(info.id)
                    source.fingerprint(info.id)
        finally:
            done.set()

    thread = threading.Thread(target=read)
    thread.start()
    while not done.is_set():
        seen.update(p.name for p in folder.iterdir())
    thread.join()
    return seen


def test_sqlite_store_is_never_written(sqlite_copy: Path) -> None:
    """mode=ro: no journal, WAL or shm file appears beside the database, and it is not modified."""
    before = _listing(sqlite_copy)
    assert _read_everything_while_watching(sqlite_copy) == {"mlflow.db"}
    assert _listing(sqlite_copy) == before


def test_wal_database_without_its_files_is_read_immutable(sqlite_copy: Path, tmp_path: Path) -> None:
    """A plain read-only connection to a WAL database creates -wal and -shm files; Runwise's does not."""
    db = sqlite_copy / "mlflow.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    conn.close()
    assert sorted(p.name for p in sqlite_copy.iterdir()) == ["mlflow.db"]
    probe = tmp_path / "probe"
    probe.mkdir()
    shutil.copy(db, probe / "mlflow.db")
    plain = sqlite3.connect((probe / "mlflow.db").as_uri() + "?mode=ro", uri=True)
    plain.execute("SELECT count(*) FROM runs").fetchone()
    plain.close()
    assert {"mlflow.db-wal", "mlflow.db-shm"} <= {p.name for p in probe.iterdir()}  # what mode=ro alone does
    before = _listing(sqlite_copy)
    assert _read_everything_while_watching(sqlite_copy) == {"mlflow.db"}
    assert _listing(sqlite_copy) == before
    assert len(MlflowRunSource(sqlite_copy).list_runs()) == 7


def _set_revision(db: Path, revision: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.close()


def test_unknown_newer_schema_is_one_clear_line(sqlite_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _set_revision(sqlite_copy / "mlflow.db", "ffffffffffff")
    source = MlflowRunSource(sqlite_copy)
    assert source.list_runs() == []  # not read on trust
    (notice,) = source.notices()
    assert "ffffffffffff" in notice.line() and NEWEST in notice.line() and "upgrade runwise" in notice.line()
    code = main(["--dir", str(sqlite_copy), "list"], stdout=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and "ffffffffffff" in err and len(err.strip().splitlines()) == 1  # the answer, not "no runs"
    with pytest.raises(InvalidInput) as caught:
        source.load_run("0" * 32)
    assert "\n" not in str(caught.value)


def test_older_schema_asks_for_an_upgrade(sqlite_copy: Path) -> None:
    _set_revision(sqlite_copy / "mlflow.db", "181f10493468")
    source = MlflowRunSource(sqlite_copy)
    assert source.list_runs() == [] and "mlflow db upgrade" in source.notices()[0].line()


def test_stores_are_found_by_schema_not_by_name(sqlite_copy: Path) -> None:
    (sqlite_copy / "mlflow.db").rename(sqlite_copy / "tracking.sqlite")
    other = sqlite3.connect(sqlite_copy / "mlflow.db")  # a sqlite file named like MLflow's, of another program
    other.execute("CREATE TABLE runs (id INTEGER)")
    other.commit()
    other.close()
    (sqlite_copy / "notes.db").write_text("not a database")
    stores = MlflowRunSource(sqlite_copy).stores()
    assert [s.path.name for s in stores] == ["tracking.sqlite"]


def test_corrupt_database_is_one_line(sqlite_copy: Path) -> None:
    db = sqlite_copy / "mlflow.db"
    source = MlflowRunSource(sqlite_copy)
    run_id = source.list_runs()[0].id
    data = bytearray(db.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)
    db.write_bytes(bytes(data))
    with pytest.raises(InvalidInput) as caught:
        source.load_run(run_id)
    assert "\n" not in str(caught.value) and "mlflow.db" in str(caught.value)
