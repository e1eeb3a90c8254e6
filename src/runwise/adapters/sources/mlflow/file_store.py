"""MLflow's file store (`mlruns/`), read from its plain files.

Layout (mlflow 3.17, unchanged since 1.x): `<store>/<experiment_id>/meta.yaml` names an
experiment; `<store>/<experiment_id>/<run_id>/meta.yaml` holds a run's status (RunStatus number),
times and lifecycle; `metrics/<key>`, `params/<key>` and `tags/<key>` hold one file per key (a key
with `/` is a sub-folder). A metric file has one `timestamp value step` line per point, with NaN
and ±Inf written as `nan`, `inf`, `-inf`. A last line without its newline is a write in progress
and is left out.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Collection, Hashable
from pathlib import Path

import numpy as np

from runwise.adapters.fs import file_identity
from runwise.adapters.sources.mlflow.meta_yaml import parse_meta
from runwise.adapters.sources.mlflow.records import STATUS_NUMBERS, RunRecord, ordered_series
from runwise.domain.errors import MetricNotFound
from runwise.domain.hints import list_keys_hint
from runwise.domain.model import MetricSeries

_NOT_EXPERIMENTS = {".trash", "models", ".mlflow"}
_TAIL_BYTES = 4096


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _meta(folder: Path) -> dict[str, str | None] | None:
    text = _read_text(folder / "meta.yaml")
    return None if text is None else parse_meta(text)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _key_files(folder: Path) -> dict[str, Path]:
    """`key -> file` for every file below `folder` (MLflow makes `a/b` keys into sub-folders)."""
    out: dict[str, Path] = {}
    for base, _dirs, files in os.walk(folder, onerror=lambda _err: None):
        for name in files:
            path = Path(base) / name
            out[path.relative_to(folder).as_posix()] = path
    return out


class FileStore:
    """One `mlruns/` folder."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def probe(cls, folder: Path) -> FileStore | None:
        """The store in `folder` when one of its sub-folders is an MLflow experiment (a `meta.yaml`
        with `experiment_id` and `name`); a folder's name proves nothing."""
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in _NOT_EXPERIMENTS)
        except OSError:
            return None
        for child in children[:50]:
            meta = _meta(child)
            if meta and meta.get("experiment_id") is not None and "name" in meta and "lifecycle_stage" in meta:
                return cls(folder)
        return None

    def _experiments(self) -> dict[Path, str | None]:
        out: dict[Path, str | None] = {}
        try:
            children = sorted(p for p in self.path.iterdir() if p.is_dir() and p.name not in _NOT_EXPERIMENTS)
        except OSError:
            return out
        for child in children:
            meta = _meta(child)
            if meta and meta.get("experiment_id") is not None and meta.get("lifecycle_stage", "active") == "active":
                out[child] = meta.get("name")
        return out

    def _run_folders(self) -> list[tuple[Path, str | None]]:
        found: list[tuple[Path, str | None]] = []
        for experiment, name in self._experiments().items():
            try:
                runs = sorted(p for p in experiment.iterdir() if p.is_dir() and (p / "meta.yaml").is_file())
            except OSError:
                continue
            found.extend((run, name) for run in runs)
        return found

    def _folder(self, run_id: str) -> tuple[Path, str | None] | None:
        for experiment, name in self._experiments().items():
            folder = experiment / run_id
            if (folder / "meta.yaml").is_file():
                return folder, name
        return None

    # runs ------------------------------------------------------------------------------------
    def records(self, run_id: str | None = None) -> list[RunRecord]:
        if run_id is not None:
            found = self._folder(run_id) if "/" not in run_id and run_id not in (".", "..") else None
            folders = [found] if found else []
        else:
            folders = self._run_folders()
        out = []
        for folder, experiment in folders:
            record = self._record(folder, experiment)
            if record is not None:
                out.append(record)
        return out

    def _record(self, folder: Path, experiment: str | None) -> RunRecord | None:
        meta = _meta(folder)
        if not meta or meta.get("lifecycle_stage", "active") != "active":
            return None
        run_id = meta.get("run_id") or meta.get("run_uuid") or folder.name
        tags = {key: (_read_text(path) or "") for key, path in _key_files(folder / "tags").items()}
        last_step, last_ms = self._last_point(folder)
        status = meta.get("status") or ""
        number = _int(status)
        return RunRecord(
            id=run_id,
            experiment=experiment,
            status=STATUS_NUMBERS.get(number, "") if number is not None else status,
            start_ms=_int(meta.get("start_time")),
            end_ms=_int(meta.get("end_time")),
            tags=tags,
            fallback_name=meta.get("run_name"),
            user=meta.get("user_id"),
            last_step=last_step,
            last_metric_ms=last_ms,
            path=str(folder.resolve()),
        )

    @staticmethod
    def _last_point(folder: Path) -> tuple[int | None, int | None]:
        """Largest step and latest timestamp over the last line of each metric file (tails only)."""
        steps, times = [], []
        for path in _key_files(folder / "metrics").values():
            try:
                with path.open("rb") as stream:
                    size = os.fstat(stream.fileno()).st_size
                    stream.seek(max(0, size - _TAIL_BYTES))
                    lines = stream.read().split(b"\n")
            except OSError:
                continue
            whole = [line.split() for line in lines[:-1] if line.strip()]
            if whole and len(whole[-1]) >= 2:
                times.append(_int(whole[-1][0].decode()))
                steps.append(_int(whole[-1][2].decode()) if len(whole[-1]) > 2 else 0)
        known_steps = [s for s in steps if s is not None]
        known_times = [t for t in times if t is not None]
        return (max(known_steps) if known_steps else None, max(known_times) if known_times else None)

    def _run_folder(self, run_id: str) -> Path:
        found = self._folder(run_id)
        if found is None:
            raise KeyError(run_id)
        return found[0]

    def params(self, run_id: str) -> dict[str, str]:
        folder = self._run_folder(run_id)
        return {key: (_read_text(path) or "") for key, path in _key_files(folder / "params").items()}

    def keys(self, run_id: str) -> list[str]:
        return sorted(_key_files(self._run_folder(run_id) / "metrics"))

    def series(self, run_id: str, keys: Collection[str]) -> dict[str, MetricSeries]:
        files = _key_files(self._run_folder(run_id) / "metrics")
        out = {}
        for key in keys:
            if key not in files:
                raise MetricNotFound(f"run '{run_id}' has no metric '{key}'", list_keys_hint())
            out[key] = read_metric_file(key, files[key])
        return out

    def identity(self) -> Hashable:
        return str(self.path)

    def run_identity(self, run_id: str) -> Hashable:
        """(path, size, mtime) of the run's meta.yaml and metric files: they change as the run logs."""
        folder = self._run_folder(run_id)
        return file_identity([folder / "meta.yaml", *sorted(_key_files(folder / "metrics").values())])


def read_metric_file(key: str, path: Path) -> MetricSeries:
    """Every whole `timestamp value step` line of one metric file."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    end = data.rfind(b"\n")
    data = data[: end + 1] if end >= 0 else b""
    table = _parse_fast(data)
    if table is None:
        table = _parse_lines(data)
    times, values, steps = table
    return ordered_series(key, steps, values, times)


def _parse_fast(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """numpy's text parser over the whole file; None when a line is not three numbers."""
    if not data:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    first = data[: data.find(b"\n")].split()
    if len(first) != 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            flat = np.fromstring(data.decode("ascii"), dtype=np.float64, sep=" ")
        except (ValueError, DeprecationWarning, UnicodeDecodeError):
            return None
    if flat.size % 3 or flat.size // 3 != data.count(b"\n"):
        return None
    table = flat.reshape(-1, 3)
    return table[:, 0].astype(np.int64), table[:, 1].copy(), table[:, 2].astype(np.int64)


def _parse_lines(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Line by line, skipping lines that are not numbers (MLflow 0.x files have no step: it is 0)."""
    times, values, steps = [], [], []
    for line in data.split(b"\n"):
        parts = line.split()
        if len(parts) not in (2, 3):
            continue
        try:
            time_ms, value = int(parts[0]), float(parts[1])
            step = int(parts[2]) if len(parts) == 3 else 0
        except ValueError:
            continue
        times.append(time_ms)
        values.append(value if not math.isnan(value) else math.nan)
        steps.append(step)
    return np.array(times, dtype=np.int64), np.array(values, dtype=np.float64), np.array(steps, dtype=np.int64)
