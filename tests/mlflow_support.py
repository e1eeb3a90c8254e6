"""Runs written by the real `mlflow` client, in a child process, cached for the test session.

`import mlflow` costs seconds and configures logging and warnings, so runs are written by a child
Python (`python -m tests.mlflow_support JOB.json`), never in the test process. A job names a
tracking URI and lists runs: name, experiment, params, tags, points (`[step, {key: value}]`),
the final status (`RUNNING` leaves the run open), an optional parent for nested runs, `deleted`.
With `dump_history` the child also saves what `MlflowClient.get_metric_history` returns. Each
distinct job is written once per session; seeders copy the result into the test's tmp_path.

`MlflowServer` starts a real `mlflow server` on 127.0.0.1 (free port, sqlite backend) for the session.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.contract.spec import RunSpec

_REPO = Path(__file__).resolve().parents[1]
_CACHE: dict[str, tuple[Path, dict[str, str]]] = {}
_SESSION: list[Path] = []
_SERVER: list[MlflowServer] = []
BASE_TIME_MS = 1_767_225_600_000  # 2026-01-01: fixed times keep "latest" and runtimes deterministic


def session_dir() -> Path:
    if not _SESSION:
        _SESSION.append(Path(tempfile.mkdtemp(prefix="runwise-mlflow-")))
        atexit.register(shutil.rmtree, _SESSION[0], True)
    return _SESSION[0]


def mlflow_env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(
        MLFLOW_ALLOW_FILE_STORE="true",  # mlflow 3.x refuses to write the file store without it
        MLFLOW_ENABLE_ASYNC_LOGGING="false",
        GIT_PYTHON_REFRESH="quiet",
        HOME=str(base / ".home"),
        PYTHONPATH=os.pathsep.join([str(_REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    return env


def spec_runs(specs: Sequence[RunSpec], experiment: str = "contract") -> list[dict[str, Any]]:
    """Job entries for RunSpecs: one point per (step, key), params from the config."""
    runs = []
    for spec in specs:
        rows: dict[int, dict[str, float]] = {}
        for key, series in spec.series.items():
            for step, value in zip(series.steps, series.values):
                rows.setdefault(step, {})[key] = value
        runs.append(
            {"name": spec.name, "experiment": experiment, "params": dict(spec.config), "rows": sorted(rows.items())}
        )
    return runs


def store_uri(store: str, base: Path) -> str:
    """The tracking URI a job of this store kind writes to (the server's URL for "server")."""
    if store == "sqlite":
        return f"sqlite:///{base / 'mlflow.db'}"
    if store == "files":
        return (base / "mlruns").as_uri()
    return server(wait=False).url


_PENDING: list[tuple[str, dict[str, Any]]] = []


def register(job: Mapping[str, Any]) -> None:
    """Announce a job (at import time) so the first write of the session writes it too, in the same child."""
    key = json.dumps(job, sort_keys=True)
    if key not in _CACHE and all(k != key for k, _ in _PENDING):
        _PENDING.append((key, dict(job)))


def _write_pending() -> None:
    """Write every pending job in one child process.

    Jobs for the tracking server are logged to it over HTTP; the server is started first, without
    waiting, so it boots (and migrates its database) while the child writes the local stores.
    """
    todo = list(_PENDING)
    if not todo:
        return
    if any(job["store"] == "server" for _, job in todo):
        server(wait=False)
    todo.sort(key=lambda item: item[1]["store"] == "server")  # local stores first: the server is still booting
    batch = []
    for key, job in todo:
        base = session_dir() / f"job{len(_CACHE) + len(batch)}"
        base.mkdir(parents=True, exist_ok=True)
        batch.append((key, base, {**job, "uri": store_uri(job["store"], base), "out": str(base / "ids.json")}))
    job_file = session_dir() / f"batch{len(_CACHE)}.json"
    job_file.write_text(json.dumps({"jobs": [b[2] for b in batch], "template": str(session_dir() / "template.db")}))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.mlflow_support", str(job_file)],
        cwd=str(session_dir()),
        env=mlflow_env(session_dir()),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mlflow writer failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    for key, base, _ in batch:
        _CACHE[key] = (base, json.loads((base / "ids.json").read_text()))
    _PENDING[:] = [(k, j) for k, j in _PENDING if k not in _CACHE]
    if _SERVER:
        _SERVER[0].wait()


def cached(job: Mapping[str, Any]) -> tuple[Path, dict[str, str]]:
    """The folder a job was written in and its run ids by name; written (with all pending jobs) on first use."""
    register(job)
    key = json.dumps(job, sort_keys=True)
    if key not in _CACHE:
        _write_pending()
    return _CACHE[key]


# the child --------------------------------------------------------------------------------------
def _write_all(batch: dict[str, Any]) -> None:
    """Each job into its own store; new sqlite stores start as copies of one migrated empty database
    (MLflow runs ~70 schema migrations on a new file, seconds each time)."""
    from mlflow import MlflowClient

    template = Path(batch["template"])
    if not template.exists() and any(j["uri"].startswith("sqlite:") for j in batch["jobs"]):
        MlflowClient(f"sqlite:///{template}").search_experiments()
    for job in batch["jobs"]:
        if job["uri"].startswith("sqlite:///"):
            shutil.copy(template, job["uri"].removeprefix("sqlite:///"))
        if job["uri"].startswith("http"):
            wait_until_up(job["uri"])
        _write(job)


def _write(job: dict[str, Any]) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(job["uri"])
    ids: dict[str, str] = {}
    history: dict[str, dict[str, list[list[float]]]] = {}
    for order, spec in enumerate(job["runs"]):
        name = spec.get("experiment", "Default")
        experiment = client.get_experiment_by_name(name)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(name)
        tags = dict(spec.get("tags", {}))
        if spec.get("parent"):
            tags["mlflow.parentRunId"] = ids[spec["parent"]]
        start = spec.get("start_ms", BASE_TIME_MS + order * 3_600_000)
        run_id = client.create_run(experiment_id, start_time=start, tags=tags, run_name=spec["name"]).info.run_id
        params = [Param(k, str(v)) for k, v in spec.get("params", {}).items()]
        metrics = [
            Metric(key, float(value), start + int(step) * 10, int(step))
            for step, row in spec.get("rows", [])
            for key, value in row.items()
        ]
        for i in range(0, max(len(metrics), 1), 1000):
            client.log_batch(run_id, metrics=metrics[i : i + 1000], params=params if i == 0 else [])
        status = spec.get("status", "FINISHED")
        if status != "RUNNING":  # a RUNNING run is left open, as a live (or killed -9) training script leaves it
            last = max((start + int(step) * 10 for step, _ in spec.get("rows", [])), default=start)
            client.set_terminated(run_id, status=status, end_time=last + 5)
        if spec.get("deleted"):
            client.delete_run(run_id)
        if job.get("dump_history"):  # what MLflow's own client returns, for the tests to compare with
            keys = {key for _, row in spec.get("rows", []) for key in row}
            history[run_id] = {
                key: [[m.step, m.value, m.timestamp] for m in client.get_metric_history(run_id, key)] for key in keys
            }
        ids[spec["name"]] = run_id
    Path(job["out"]).write_text(json.dumps(ids))
    Path(job["out"]).with_name("history.json").write_text(json.dumps(history))


# a real tracking server ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server(*, wait: bool = True) -> MlflowServer:
    """The session's tracking server, started on first use and stopped when the session ends."""
    if not _SERVER:
        _SERVER.append(MlflowServer())
        atexit.register(_SERVER[0].stop)
    if wait:
        _SERVER[0].wait()
    return _SERVER[0]


def wait_until_up(url: str, timeout: float = 300.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll the server's /health until it answers 200."""
    import httpx2

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {proc.returncode}")
        try:
            if httpx2.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"mlflow server at {url} did not start in {timeout:.0f} s")


class MlflowServer:
    """`mlflow server` on 127.0.0.1 with a sqlite backend in a temporary folder; `stop()` ends it."""

    def __init__(self) -> None:
        self.base = session_dir() / "server"
        self.base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (self.base / "server.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "mlflow", "server",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--backend-store-uri", f"sqlite:///{self.base / 'mlflow.db'}",
                "--default-artifact-root", str(self.base / "artifacts"),
                "--workers", "1",
            ],
            cwd=str(self.base),
            env=mlflow_env(self.base),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._up = False

    def wait(self) -> None:
        if self._up:
            return
        try:
            wait_until_up(self.url, proc=self.proc)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}:\n{(self.base / 'server.log').read_text()[-3000:]}") from None
        self._up = True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


if __name__ == "__main__":
    _write_all(json.loads(Path(sys.argv[1]).read_text()))


# the runs most MLflow tests read ------------------------------------------------------------------
LONG_EXPERIMENT = "a rather long experiment name: long enough that YAML quotes it and folds it over two lines"
GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def rich_runs() -> list[dict[str, Any]]:
    """Several experiments; FINISHED, FAILED, KILLED, RUNNING and deleted runs; nested runs; NaN/±Inf;
    a sparse key; system metrics; params of every type; git commit, note and user tags."""
    nan, inf = float("nan"), float("inf")
    loss = [4.0 / (1 + s) + 0.1 for s in range(60)]
    loss[20], loss[21], loss[22] = nan, inf, -inf
    rows: list[tuple[int, dict[str, float]]] = []
    for s in range(60):
        row = {"train/loss": loss[s], "system/cpu_utilization_percentage": 40.0 + s % 7}
        if s % 10 == 0:
            row["val/acc"] = 0.5 + s / 200
        rows.append((s, row))
    rising = [(s, {"train/loss": 1.0 + s * 0.5}) for s in range(30)]
    flat = [(s, {"train/loss": 2.0 - s * 0.01}) for s in range(20)]
    return [
        {
            "name": "baseline",
            "experiment": "vision",
            "params": {"lr": 0.001, "batch_size": 64, "optimizer": "adam", "use_amp": True, "dropout": None},
            "tags": {"team": "cv", "mlflow.source.git.commit": GIT_COMMIT, "mlflow.note.content": "first try"},
            "rows": rows,
        },
        {"name": "diverged", "experiment": "vision", "params": {"lr": 0.5}, "rows": rising, "status": "FAILED"},
        {"name": "stopped", "experiment": "nlp", "params": {"lr": 0.01}, "rows": flat, "status": "KILLED"},
        {"name": "live", "experiment": "nlp", "params": {"lr": 0.02}, "rows": flat, "status": "RUNNING"},
        {"name": "sweep", "experiment": LONG_EXPERIMENT, "params": {"lr": 0.1}, "rows": flat[:5]},
        {"name": "trial-1", "experiment": LONG_EXPERIMENT, "parent": "sweep", "params": {"lr": 0.1}, "rows": flat},
        {"name": "trial-2", "experiment": LONG_EXPERIMENT, "parent": "sweep", "params": {"lr": 0.2}, "rows": rising},
        {"name": "thrown-away", "experiment": "nlp", "rows": flat[:3], "deleted": True},
    ]


def rich_job(store: str) -> dict[str, Any]:
    return {"store": store, "runs": rich_runs(), "dump_history": True}
