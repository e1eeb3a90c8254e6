"""The RunSource port: read-only access to one tracking backend."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import Protocol

from runwise.domain.model import MetricSeries, Run, RunInfo


class RunSource(Protocol):
    """Read-only access to one tracking backend.

    Contract (tests/contract checks it for every adapter):
    - `list_runs` never raises for unreadable runs; it lists what it can, newest first.
    - `load_run` / `load_series` raise RunNotFound for an unknown id, never return None.
    - Series are full resolution, sorted by step, NaN/±Inf kept, sparse keys keep their own steps.
    - A truncated or still-growing log is read up to its last whole record; problems met while
      reading are reported in `Run.warnings`, not raised.
    - Nothing is ever written into the user's log directories.

    Optional capability: a source backed by a server (W&B API, MLflow) may also define
    `search_runs(pushdown, *, project=None) -> Sequence[RunInfo]`, taking the neutral
    `runwise.domain.query.Pushdown` prefilter; the full query is still evaluated locally after.

    Parsed runs are kept on disk between processes (services/stored_runs.py) keyed by `name`, the optional
    `cache_scope` (options that change the parse, e.g. the JSONL step key), the run id and path, and used while
    `fingerprint` is unchanged: a fingerprint must change whenever the run's content may have. A source whose
    runs are not files sets `disk_cache = False`. Optional: `load_run_resuming(run_id, previous)` -> (run, note)
    reads only what was appended since `previous` (the run and note it returned before).
    """

    name: str  # "jsonl", "tensorboard", "wandb", ...

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]: ...

    def load_run(self, run_id: str) -> Run: ...

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]: ...

    def fingerprint(self, run_id: str) -> Hashable:
        """Identity of the files behind a run (paths, sizes, mtimes): changes when the run grows."""
        ...
