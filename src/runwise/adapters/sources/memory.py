"""InMemoryRunSource: runs held in memory, for tests, notebooks and the Python API."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence

from runwise.domain.errors import RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo, select_series


class InMemoryRunSource:
    """A RunSource over Run objects given up front."""

    disk_cache = False  # nothing was parsed: there is nothing to keep

    def __init__(self, runs: Iterable[Run] = (), name: str = "memory") -> None:
        self.name = name
        self._runs: dict[str, Run] = {run.info.id: run for run in runs}

    def add(self, run: Run) -> None:
        self._runs[run.info.id] = run

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        infos = [r.info for r in self._runs.values() if project is None or r.info.project == project]
        infos.sort(key=lambda i: i.updated_at or i.created_at or 0.0, reverse=True)
        return infos[:limit] if limit is not None else infos

    def load_run(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise RunNotFound(f"no run '{run_id}' in {self.name}", list_runs_hint()) from None

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        run = self.load_run(run_id)
        return (id(run), run.info.last_step)
