"""MLflow runs written by the real client into a sqlite store (`sqlite:///mlflow.db`, MLflow 3.7+'s default)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.mlflow import MlflowRunSource
from runwise.ports.run_source import RunSource
from tests import mlflow_support
from tests.contract.spec import RunSpec, Seeded, standard_specs

NAME = "mlflow-sqlite"
STORE = "sqlite"
STANDARD = {"store": STORE, "runs": mlflow_support.spec_runs(standard_specs())}
EMPTY = {"store": STORE, "runs": [{"name": "empty", "experiment": "empty"}]}
mlflow_support.register(STANDARD)
mlflow_support.register(EMPTY)


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    base, ids = mlflow_support.cached({"store": STORE, "runs": mlflow_support.spec_runs(specs)})
    shutil.copy(base / "mlflow.db", tmp_path / "mlflow.db")
    return Seeded(MlflowRunSource(tmp_path), ids, {}, tmp_path)  # every run lives in the one .db: no run paths


def seed_empty(tmp_path: Path) -> RunSource:
    base, _ = mlflow_support.cached(EMPTY)
    shutil.copy(base / "mlflow.db", tmp_path / "mlflow.db")
    return MlflowRunSource(tmp_path)
