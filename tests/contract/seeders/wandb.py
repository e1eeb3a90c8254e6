"""W&B runs written by the real `wandb` package in offline mode, the way training scripts write them.

`wandb.init` starts a service process and patches the console, so runs are written in a child
Python process (never in the test process, which keeps pytest's warnings-as-errors and stdout
untouched) and cached for the test session: each seed copies the cached run folders. The child
runs with WANDB_MODE=offline and every W&B directory in a temporary folder, so nothing reaches
the network or the repository.

Run as `python -m tests.contract.seeders.wandb JOB.json` it is that child: JOB.json lists runs
(id, name, config, rows of `[step, {key: value}]`, ...) to write under a directory.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runwise.adapters.sources.wandb_local import WandbLocalRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded

NAME = "wandb"
PROJECT = "runwise-contract"
_REPO = Path(__file__).resolve().parents[3]
_CACHE: dict[str, Path] = {}
_SESSION_DIR: Path | None = None


# the child process ----------------------------------------------------------------------------
def wandb_env(base: Path) -> dict[str, str]:
    """Environment for a child that writes offline runs under `base` and nowhere else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DIR=str(base),
        WANDB_CACHE_DIR=str(base / ".wandb-cache"),
        WANDB_CONFIG_DIR=str(base / ".wandb-config"),
        WANDB_DATA_DIR=str(base / ".wandb-data"),
        WANDB_ARTIFACT_DIR=str(base / ".wandb-artifacts"),
        XDG_CACHE_HOME=str(base / ".cache"),
        WANDB_DISABLE_CODE="true",
        WANDB_DISABLE_GIT="true",
        PYTHONPATH=os.pathsep.join([str(_REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    return env


def run_writer(job: Mapping[str, Any], base: Path, *, cwd: Path | None = None, **popen: Any) -> subprocess.Popen[str]:
    """Start a child that writes `job["runs"]` as offline runs under `base` (see `_write`)."""
    base.mkdir(parents=True, exist_ok=True)
    job_file = base / f"job-{len(list(base.glob('job-*.json')))}.json"
    job_file.write_text(json.dumps({**job, "dir": str(base)}))
    env = wandb_env(base)
    env.update(popen.pop("env", {}))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.contract.seeders.wandb", str(job_file)],
        cwd=str(cwd or base),
        env=env,
        text=True,
        **popen,
    )


def write_runs(job: Mapping[str, Any], base: Path, *, timeout: float = 120.0) -> None:
    """Write the job's runs and wait; raises with the child's output when it fails."""
    proc = run_writer(job, base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"wandb writer failed ({proc.returncode}):\n{out}")


def _write(job: dict[str, Any]) -> None:
    import time

    import wandb

    for spec in job["runs"]:
        run = wandb.init(
            project=spec.get("project", PROJECT),
            id=spec["id"],
            name=spec["name"],
            config=spec.get("config") or None,
            tags=spec.get("tags") or None,
            notes=spec.get("notes"),
            dir=job["dir"],
            mode="offline",
            resume="allow" if spec.get("resume") else None,
        )
        for step, row in spec.get("rows", []):
            wandb.log(row, step=step)
        for line in spec.get("prints", []):
            print(line, flush=True)
        for key, value in spec.get("summary", {}).items():
            run.summary[key] = value
        if spec.get("hang"):
            print("READY", flush=True)  # the parent kills this process now
            time.sleep(600)
        run.finish(exit_code=spec.get("exit_code", 0))


# the seeder -----------------------------------------------------------------------------------
def _session_dir() -> Path:
    global _SESSION_DIR
    if _SESSION_DIR is None:
        _SESSION_DIR = Path(tempfile.mkdtemp(prefix="runwise-wandb-"))
        atexit.register(shutil.rmtree, _SESSION_DIR, True)
    return _SESSION_DIR


def _rows(spec: RunSpec) -> list[list[Any]]:
    rows: dict[int, dict[str, float]] = {}
    for key, series in spec.series.items():
        for step, value in zip(series.steps, series.values):
            rows.setdefault(step, {})[key] = value
    return [[step, rows[step]] for step in sorted(rows)]


def _run_id(order: int) -> str:
    return f"contract{order}"


def cached_runs(job: Mapping[str, Any]) -> Path:
    """Write a job once per test session and return the folder that holds its `wandb/` directory."""
    key = json.dumps(job, sort_keys=True)
    if key not in _CACHE:
        base = _session_dir() / f"job{len(_CACHE)}"
        write_runs(job, base)
        _CACHE[key] = base
    return _CACHE[key]


def _copy_runs(source: Path, tmp_path: Path) -> dict[str, Path]:
    """Copy the cached run folders (not the symlinks or W&B's own caches) into tmp_path/wandb."""
    target = tmp_path / "wandb"
    folders = {}
    for folder in sorted((source / "wandb").glob("*run-*")):
        if folder.is_symlink() or not folder.is_dir():
            continue
        copy = target / folder.name
        shutil.copytree(folder, copy, symlinks=True)
        run_id = folder.name.rsplit("-", 1)[1]
        folders[run_id] = copy
    return folders


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    job = {
        "runs": [
            {"id": _run_id(i), "name": spec.name, "config": dict(spec.config), "rows": _rows(spec)}
            for i, spec in enumerate(specs)
        ]
    }
    folders = _copy_runs(cached_runs(job), tmp_path)
    ids, paths = {}, {}
    for order, spec in enumerate(specs):
        run_id = _run_id(order)
        folder = folders[run_id]
        stamp = 1_700_000_000 + order
        os.utime(folder / f"run-{run_id}.wandb", (stamp, stamp))
        ids[spec.name] = run_id
        paths[spec.name] = folder
    return Seeded(WandbLocalRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    """A run that was started and finished without a single `wandb.log`."""
    _copy_runs(cached_runs({"runs": [{"id": "empty0", "name": "empty"}]}), tmp_path)
    return WandbLocalRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    """Cut the file in the middle of its last history record, as a crash mid-write would."""
    from runwise.adapters.sources.wandb_local.batches import read_batches
    from runwise.adapters.sources.wandb_local.framing import FrameReport
    from runwise.adapters.sources.wandb_local.records import HISTORY, classify

    path = seeded.paths[spec_name] / f"run-{seeded.ids[spec_name]}.wandb"
    with path.open("rb") as stream:
        last = None
        for batch in read_batches(stream, path.stat().st_size, FrameReport()):
            history = classify(batch.buf, batch.starts, batch.ends).of(HISTORY)
            if history.size:
                i = int(history[-1])
                last = (int(batch.offsets[i]), int(batch.ends[i] - batch.starts[i]))
    assert last is not None, "the run has no history record"
    offset, length = last
    with path.open("r+b") as stream:
        stream.truncate(offset + 7 + length // 2)


if __name__ == "__main__":
    _write(json.loads(Path(sys.argv[1]).read_text()))


class LiveRun:
    """A child process running a wandb offline script that waits on stdin between its phases."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def expect(self, line: str) -> None:
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == line

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()


@contextmanager
def live_run(script: str, base: Path) -> Iterator[LiveRun]:
    """`script` run by the real wandb package in a child (offline, under `base`), killed afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=base, env=wandb_env(base), text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield LiveRun(proc)
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
