"""MLflow runs: sqlite and `mlruns/` stores read directly (no mlflow import), tracking servers over REST.

The server source lives in `runwise.adapters.sources.mlflow.server` and is imported only when a server is used.
"""

from runwise.adapters.sources.mlflow.source import MlflowRunSource
from runwise.adapters.sources.mlflow.uri import is_server_uri, local_store_path, server_run_ref

__all__ = ["MlflowRunSource", "is_server_uri", "local_store_path", "server_run_ref"]
