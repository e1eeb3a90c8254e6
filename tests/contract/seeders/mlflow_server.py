"""MLflow runs logged over HTTP to a real `mlflow server` (sqlite backend) that the test session starts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.mlflow.server import MlflowServerRunSource
from runwise.ports.run_source import RunSource
from tests import mlflow_support
from tests.contract.spec import RunSpec, Seeded, standard_specs

NAME = "mlflow-server"
STORE = "server"
mlflow_support.register({"store": STORE, "runs": mlflow_support.spec_runs(standard_specs())})
EMPTY = {"store": STORE, "runs": [{"name": "empty", "experiment": "empty-on-server"}]}
mlflow_support.register(EMPTY)


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    _, ids = mlflow_support.cached({"store": STORE, "runs": mlflow_support.spec_runs(specs)})
    source = MlflowServerRunSource(mlflow_support.server().url, experiment="contract")
    return Seeded(source, ids, {}, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    mlflow_support.cached(EMPTY)
    return MlflowServerRunSource(mlflow_support.server().url, experiment="empty-on-server")
