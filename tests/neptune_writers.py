"""Neptune runs written by the real clients, for the contract seeders and the Neptune tests.

- neptune 1.x (`neptune.init_run(mode="offline")`, run folders under `<dir>/.neptune/offline/`), with
  hardware monitoring off but the client's console capture on, as by default: the client's warning
  about dropped NaN/Inf values is part of what it records.
- neptune-scale (`neptune_scale.Run(mode="offline", log_directory=...)`): an operation database per
  run; no API token or network is needed in offline mode.
- neptune-exporter Parquet: the exporter itself cannot run without Neptune's (shut down) service, so
  the parts are written with pyarrow in its documented schema (`model.SCHEMA` in
  neptune-ai/neptune-exporter), file names `<run id>_part_<n>.parquet` as its ParquetWriter names them.

The two clients run in one child Python process per test session (they start threads, patch the
console and register exit hooks); every job the session needs is written on first use, and each
seed copies the written folders. Run as `python -m tests.neptune_writers JOB.json` it is that child.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.contract.spec import RunSpec

_REPO = Path(__file__).resolve().parents[1]
_CACHE: dict[str, tuple[Path, dict[str, str]]] = {}
_SESSION_DIR: Path | None = None
SESSION_JOBS: list[dict[str, Any]] = []  # {"form": "offline"|"scale", "runs": [...]}, registered at import


def rows_of(spec: RunSpec) -> list[list[Any]]:
    """[step, {key: value}] per step, in step order, as a training loop logs them."""
    rows: dict[int, dict[str, float]] = {}
    for key, series in spec.series.items():
        for step, value in zip(series.steps, series.values):
            rows.setdefault(step, {})[key] = value
    return [[step, rows[step]] for step in sorted(rows)]


def job_of(form: str, specs: Sequence[RunSpec], **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "runs": [{"name": s.name, "config": dict(s.config), "rows": rows_of(s), **extra} for s in specs],
    }


# the child process ----------------------------------------------------------------------------
def _write_offline(folder: Path, runs: list[dict[str, Any]]) -> dict[str, str]:
    import neptune

    os.chdir(folder)  # neptune 1.x writes .neptune/ in the working folder
    ids = {}
    for spec in runs:
        # Each run as if in a process of its own: the client warns "value will be skipped" once per
        # value kind and process (its warn_once set), and that warning is what each run must record.
        from neptune.common import warnings as neptune_warnings

        neptune_warnings.warned_once.clear()
        warnings.resetwarnings()
        run = neptune.init_run(
            mode="offline",
            name=spec["name"],
            tags=spec.get("tags") or None,
            capture_hardware_metrics=False,
            capture_stderr=spec.get("capture_stderr", True),
            source_files=[],
            git_ref=False,
        )
        if spec.get("config"):
            run["parameters"] = spec["config"]
        for step, row in spec["rows"]:
            for key, value in row.items():
                run[key].append(value, step=step)
        ids[spec["name"]] = run._id  # the container id; offline runs get no sys/id until synced
        if spec.get("fail"):
            run["sys/failed"] = True
        run.stop()
    return ids


def _write_scale(folder: Path, runs: list[dict[str, Any]]) -> dict[str, str]:
    from neptune_scale import Run

    ids = {}
    for order, spec in enumerate(runs):
        run_id = spec.get("run_id") or f"{spec['name']}-{order}"
        run = Run(
            mode="offline",
            project="runwise/contract",
            run_id=run_id,
            experiment_name=spec.get("experiment"),
            log_directory=str(folder / ".neptune"),
            enable_console_log_capture=False,
            source_tracking_config=None,
        )
        if spec.get("config"):
            run.log_configs(_flat("parameters", spec["config"]))
        if spec.get("tags"):
            run.add_tags(spec["tags"])
        for step, row in spec["rows"]:
            run.log_metrics(row, step=step)
        run.close()
        ids[spec["name"]] = run_id
    return ids


def _flat(prefix: str, data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flat(f"{prefix}/{key}", value))
        else:
            out[f"{prefix}/{key}"] = value
    return out


def _child(job_file: Path) -> None:
    jobs = json.loads(job_file.read_text())
    for job in jobs["jobs"]:
        folder = Path(job["dir"])
        folder.mkdir(parents=True, exist_ok=True)
        writer = _write_offline if job["form"] == "offline" else _write_scale
        (folder / "ids.json").write_text(json.dumps(writer(folder, job["runs"])))


# the parent -----------------------------------------------------------------------------------
def _session_dir() -> Path:
    global _SESSION_DIR
    if _SESSION_DIR is None:
        _SESSION_DIR = Path(tempfile.mkdtemp(prefix="runwise-neptune-"))
        atexit.register(shutil.rmtree, _SESSION_DIR, True)
    return _SESSION_DIR


def _key(job: Mapping[str, Any]) -> str:
    return json.dumps(job, sort_keys=True)


def _env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEPTUNE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(_REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["HOME"] = str(base)  # neither client may touch the user's home
    return env


def cached(job: Mapping[str, Any], timeout: float = 300.0) -> tuple[Path, dict[str, str]]:
    """The folder a job was written into (once per session, every known job in one child) and run name → id."""
    if _key(job) not in _CACHE:
        pending = list({_key(j): j for j in (*SESSION_JOBS, job) if _key(j) not in _CACHE}.values())
        base = _session_dir()
        folders = [base / f"job{len(_CACHE) + i}" for i in range(len(pending))]
        job_file = base / f"jobs{len(_CACHE)}.json"
        job_file.write_text(json.dumps({"jobs": [{**j, "dir": str(f)} for j, f in zip(pending, folders)]}))
        out = subprocess.run(
            [sys.executable, "-m", "tests.neptune_writers", str(job_file)],
            cwd=str(base),
            env=_env(base),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"neptune writer failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        for j, folder in zip(pending, folders):
            _CACHE[_key(j)] = (folder, json.loads((folder / "ids.json").read_text()))
    return _CACHE[_key(job)]


def copy_written(job: Mapping[str, Any], target: Path) -> tuple[Path, dict[str, str]]:
    """A private copy of a written job's `.neptune` folder under `target`."""
    folder, ids = cached(job)
    shutil.copytree(folder / ".neptune", target / ".neptune", symlinks=True)
    return target, ids


# Parquet in neptune-exporter's schema -----------------------------------------------------------
def export_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("project_id", pa.string()),
            ("run_id", pa.string()),
            ("attribute_path", pa.string()),
            ("attribute_type", pa.string()),
            ("step", pa.decimal128(18, 6)),
            ("timestamp", pa.timestamp("ms", tz="UTC")),
            ("int_value", pa.int64()),
            ("float_value", pa.float64()),
            ("string_value", pa.string()),
            ("bool_value", pa.bool_()),
            ("datetime_value", pa.timestamp("ms", tz="UTC")),
            ("string_set_value", pa.list_(pa.string())),
            ("file_value", pa.struct([("path", pa.string())])),
            ("histogram_value", pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())),
                                           ("values", pa.list_(pa.float64()))])),
        ]
    )  # fmt: skip


def write_export(
    folder: Path,
    run_id: str,
    name: str,
    rows: list[list[Any]],
    config: Mapping[str, Any],
    *,
    project: str = "runwise/contract",
    tags: Sequence[str] = (),
    created: float = 1_700_000_000.0,
    parts: int = 2,
    failed: bool = False,
) -> list[Path]:
    """One exported run as the exporter lays it out: parameters and float series, split into parts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = export_schema()
    utc = dt.timezone.utc
    records: list[dict[str, Any]] = []

    def param(path: str, kind: str, column: str, value: Any) -> None:
        records.append(
            {"project_id": project, "run_id": run_id, "attribute_path": path, "attribute_type": kind, column: value}
        )

    last_time = created + len(rows)
    param("sys/name", "string", "string_value", name)
    param("sys/custom_run_id", "string", "string_value", run_id)
    param("sys/tags", "string_set", "string_set_value", list(tags))
    param("sys/creation_time", "datetime", "datetime_value", dt.datetime.fromtimestamp(created, utc))
    param("sys/modification_time", "datetime", "datetime_value", dt.datetime.fromtimestamp(last_time, utc))
    param("sys/failed", "bool", "bool_value", failed)
    param("sys/state", "string", "string_value", "Inactive")
    for path, value in _flat("parameters", config).items():
        kind, column = (("bool", "bool_value") if isinstance(value, bool) else ("int", "int_value")
                        if isinstance(value, int) else ("float", "float_value") if isinstance(value, float)
                        else ("string", "string_value"))  # fmt: skip
        param(path, kind, column, value)
    for index, (step, row) in enumerate(rows):
        stamp = dt.datetime.fromtimestamp(created + index, utc)
        for key, value in row.items():
            records.append({"project_id": project, "run_id": run_id, "attribute_path": key,
                            "attribute_type": "float_series", "step": Decimal(step), "timestamp": stamp,
                            "float_value": value})  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(records) // parts)
    paths = []
    for part in range(parts):
        chunk = records[part * size : (part + 1) * size]
        path = folder / f"{run_id}_part_{part}.parquet"
        pq.write_table(pa.Table.from_pylist(chunk, schema=schema), path, compression="snappy")
        paths.append(path)
    return paths


if __name__ == "__main__":
    _child(Path(sys.argv[1]))


class ClientSeeder:
    """The contract suite's seeder for runs the real neptune client writes in `form` ("offline"|"scale"); creating
    one registers its jobs for the session's single writer process."""

    def __init__(self, form: str) -> None:
        from tests.contract.spec import standard_specs

        self.form = form
        self.empty_job = job_of(form, [RunSpec(name="empty", series={})])
        SESSION_JOBS.extend([job_of(form, standard_specs()), self.empty_job])

    def seed(self, specs: Sequence[RunSpec], tmp_path: Path) -> Any:
        from runwise.adapters.sources.neptune import NeptuneRunSource
        from tests.contract.spec import Seeded

        _, ids = copy_written(job_of(self.form, specs), tmp_path)
        source = NeptuneRunSource(tmp_path)
        paths = {info.name: Path(info.path) for info in source.list_runs() if info.path}
        return Seeded(source, ids, {n: p for n, p in paths.items() if n in ids}, tmp_path)

    def seed_empty(self, tmp_path: Path) -> Any:
        from runwise.adapters.sources.neptune import NeptuneRunSource

        copy_written(self.empty_job, tmp_path)
        return NeptuneRunSource(tmp_path)
