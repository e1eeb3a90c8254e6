"""MLflow runs written by the real client into a file store (`mlruns/`, kept by MLflow in maintenance mode)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.mlflow import MlflowRunSource
from runwise.ports.run_source import RunSource
from tests import mlflow_support
from tests.contract.spec import RunSpec, Seeded, standard_specs

NAME = "mlflow-files"
STORE = "files"
STANDARD = {"store": STORE, "runs": mlflow_support.spec_runs(standard_specs())}
EMPTY = {"store": STORE, "runs": [{"name": "empty", "experiment": "empty"}]}
mlflow_support.register(STANDARD)
mlflow_support.register(EMPTY)


def _copy(base: Path, tmp_path: Path) -> Path:
    shutil.copytree(base / "mlruns", tmp_path / "mlruns")
    return tmp_path / "mlruns"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    base, ids = mlflow_support.cached({"store": STORE, "runs": mlflow_support.spec_runs(specs)})
    store = _copy(base, tmp_path)
    paths = {name: next(store.glob(f"*/{run_id}")) for name, run_id in ids.items()}
    return Seeded(MlflowRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    base, _ = mlflow_support.cached(EMPTY)
    _copy(base, tmp_path)
    return MlflowRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    """Cut the last line of each metric file in half, as a crash mid-write would."""
    for path in (seeded.paths[spec_name] / "metrics").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            start = data.rstrip(b"\n").rfind(b"\n") + 1
            path.write_bytes(data[: start + (len(data) - start) // 2])
