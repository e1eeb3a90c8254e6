"""Child process that logs with the real libraries step by step, on command, so tests can read between writes.

Usage: `python -m tests.frameworks.staged_writer` (see `StagedWriter`); one JSON command per stdin line, answered
by one JSON line on stdout once the write is on disk:
- `{"op": "lightning", "dir": D, "name": N, "rows": [[step, {key: value}]], "save": true}`: Lightning's
  CSVLogger (`log_metrics` per row, then `save`), one logger per (D, N) kept across commands;
- `{"op": "keras", "path": P, "rows": [[epoch, {key: value}]], "append": false}`: Keras' CSVLogger callback,
  `on_train_begin` the first time a path is seen, then `on_epoch_end` per row (flushed by the callback);
- `{"op": "mlflow", "uri": U, "name": N, "rows": [[step, {key: value}]], "params": {...}, "status": S}`: the
  `mlflow` client; the run is created on first use (`tags`, `start_ms`) and ended when `status` is given
  (FINISHED, FAILED; `end_ms`). A point's timestamp is `start_ms` (default 2026-01-01) + step seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.frameworks.session import child_env
from tests.mlflow_support import mlflow_env

_LOGGERS: dict[Any, Any] = {}


def _lightning(cmd: dict[str, Any]) -> None:
    from lightning.pytorch.loggers import CSVLogger

    key = ("lightning", cmd["dir"], cmd["name"])
    if key not in _LOGGERS:
        _LOGGERS[key] = CSVLogger(cmd["dir"], name=cmd["name"], flush_logs_every_n_steps=10**9)
    logger = _LOGGERS[key]
    for step, row in cmd["rows"]:
        logger.log_metrics(row, step)
    if cmd.get("save", True):
        logger.save()


def _keras(cmd: dict[str, Any]) -> None:
    import keras

    key = ("keras", cmd["path"])
    if key not in _LOGGERS:
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        logger = keras.callbacks.CSVLogger(cmd["path"], append=cmd.get("append", False))
        logger.set_model(model)
        logger.on_train_begin()
        _LOGGERS[key] = logger
    logger = _LOGGERS[key]
    for epoch, row in cmd["rows"]:
        logger.on_epoch_end(epoch, dict(row))
    if cmd.get("end"):
        logger.on_train_end()
        del _LOGGERS[key]


def _mlflow(cmd: dict[str, Any]) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(cmd["uri"])
    key = ("mlflow", cmd["uri"], cmd["name"])
    if key not in _LOGGERS:
        experiment = client.get_experiment_by_name("watch")
        experiment_id = experiment.experiment_id if experiment else client.create_experiment("watch")
        run = client.create_run(experiment_id, start_time=cmd.get("start_ms"), run_name=cmd["name"],
                                tags=cmd.get("tags", {}))  # fmt: skip
        _LOGGERS[key] = run.info.run_id
    run_id = _LOGGERS[key]
    base = cmd.get("start_ms", 1_767_225_600_000)
    metrics = [
        Metric(k, float(v), base + int(step) * 1000, int(step)) for step, row in cmd["rows"] for k, v in row.items()
    ]
    params = [Param(k, str(v)) for k, v in cmd.get("params", {}).items()]
    if metrics or params:
        client.log_batch(run_id, metrics=metrics, params=params)
    if cmd.get("status"):
        client.set_terminated(run_id, status=cmd["status"], end_time=cmd.get("end_ms"))
    return {"run_id": run_id}


def _init(cmd: dict[str, Any]) -> None:
    from mlflow import MlflowClient

    MlflowClient(cmd["uri"]).search_experiments()  # creates and migrates an empty store


def main() -> None:
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            answer = {"lightning": _lightning, "keras": _keras, "mlflow": _mlflow, "init": _init}[cmd["op"]](cmd) or {}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps({"ok": "error" not in answer, **answer}) + "\n")
        sys.stdout.flush()


class StagedWriter:
    """The parent's handle: `send(cmd)` returns once the child has written (raises if the child failed)."""

    def __init__(self, base: Path) -> None:
        env = {**child_env(base), **mlflow_env(base)}
        env["KERAS_BACKEND"] = "torch"
        self.stderr = base / "staged_writer.stderr"
        self._err = self.stderr.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.frameworks.staged_writer"], cwd=str(base), env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True,
        )  # fmt: skip
        self._template: Path | None = None
        self.base = base

    def send(self, cmd: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"staged writer died: {self.stderr.read_text()[-4000:]}")
        answer: dict[str, Any] = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(answer["error"])
        return answer

    def sqlite_store(self, path: Path) -> str:
        """A migrated empty MLflow sqlite store at `path` (copied from one migrated once: migrations take seconds)."""
        if self._template is None:
            self._template = self.base / "template.db"
            self.send({"op": "init", "uri": f"sqlite:///{self._template}"})
        shutil.copy(self._template, path)
        return f"sqlite:///{path}"

    def close(self) -> None:
        if self.proc.poll() is None:  # every write was answered, so it is on disk: no clean exit to wait for
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._err.close()


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "torch")
    main()
