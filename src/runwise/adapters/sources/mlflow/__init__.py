"""MLflow runs: sqlite and `mlruns/` stores read directly (no mlflow import), tracking servers over REST."""

from runwise.adapters.sources.mlflow.source import MlflowRunSource

__all__ = ["MlflowRunSource"]
