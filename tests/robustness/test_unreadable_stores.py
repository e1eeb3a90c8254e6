"""A folder holding a tracker's store that no source reads is not an empty folder (issue 10 point 5).

The MLflow database is recognised by its tables, not its name; the sources here are fixed to the
JSONL one so the test keeps meaning "no source reads this" after MLflow and Aim sources exist.
"""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest

from runwise.adapters.sources.jsonl import JsonlRunSource
from runwise.adapters.sources.stores import StoreScout
from runwise.bootstrap import Runwise, bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli.main import main


def _mlflow_db(path: Path) -> None:
    """An SQLite file with MLflow's core tables (the columns MLflow's own schema gives them)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE experiments (experiment_id INTEGER PRIMARY KEY, name TEXT, artifact_location TEXT)")
        db.execute("CREATE TABLE runs (run_uuid TEXT PRIMARY KEY, name TEXT, experiment_id INTEGER, status TEXT)")
        db.execute("CREATE TABLE metrics (key TEXT, value FLOAT, timestamp BIGINT, run_uuid TEXT, step BIGINT)")
    db.close()


def _app(root: Path) -> Runwise:
    app = bootstrap(Settings.load(dir=str(root)), sources=[JsonlRunSource(root)])
    app.catalog.scouts = [StoreScout(root, readable={"jsonl"})]
    return app


def _cli(root: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--no-color", *argv], app=_app(root), stdout=out), out.getvalue()


@pytest.mark.parametrize("name", ["mlflow.db", "tracking.sqlite", "store.db"])
def test_an_mlflow_database_alone_is_an_error_not_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    _mlflow_db(tmp_path / name)
    before = sorted(os.listdir(tmp_path))
    code, out = _cli(tmp_path, "list")
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert "MLflow" in err and name in err and "not supported yet" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == before  # no -journal, -wal or -shm beside it


def test_any_other_sqlite_file_is_not_mlflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    db.close()
    (tmp_path / "fake.db").write_bytes(b"not a database at all")
    code, _ = _cli(tmp_path, "list")
    assert code == 0 and "MLflow" not in capsys.readouterr().err


def test_an_aim_repository_alone_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "project" / ".aim").mkdir(parents=True)
    code, _ = _cli(tmp_path, "run", "latest")
    err = capsys.readouterr().err
    assert code == 2 and "Aim" in err and "project/.aim" in err


def test_beside_readable_runs_the_store_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _mlflow_db(tmp_path / "mlflow.db")
    (tmp_path / "train.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    code, out = _cli(tmp_path, "list")
    err = capsys.readouterr().err
    assert code == 0 and "train" in out
    assert err.startswith("runwise: warning: found MLflow data (mlflow.db)")


def test_a_readable_source_for_the_tracker_silences_the_scout(tmp_path: Path) -> None:
    _mlflow_db(tmp_path / "mlflow.db")
    (tmp_path / "x" / ".aim").mkdir(parents=True)
    assert StoreScout(tmp_path, readable={"mlflow", "aim"}).notices() == []


def test_runs_deeper_than_discovery_looks_are_mentioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path.joinpath(*[f"d{i}" for i in range(10)])
    deep.mkdir(parents=True)
    (deep / "train.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    (tmp_path / "top.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    code, _ = _cli(tmp_path, "list")
    err = capsys.readouterr().err
    assert code == 0 and "deeper than 8 levels" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_log_is_mentioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked.jsonl"
    locked.write_text('{"step": 1, "loss": 0.5}\n')
    locked.chmod(0)
    (tmp_path / "ok.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    code, _ = _cli(tmp_path, "list")
    assert code == 0 and "skipped 1 unreadable" in capsys.readouterr().err
