"""MlflowRunSource: runs of every MLflow store (sqlite or `mlruns/`) found under a folder, read without mlflow."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runwise.adapters.sources.mlflow.discovery import find_stores
from runwise.adapters.sources.mlflow.records import SOURCE_NAME, RunRecord, config_from_params, run_info
from runwise.adapters.sources.mlflow.sqlite_store import SqliteStore
from runwise.domain.errors import InvalidInput, MetricNotFound, RunNotFound
from runwise.domain.hints import PLAIN, list_keys_hint, list_runs_hint, spell
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.notices import Notice, unreadable_store

if TYPE_CHECKING:  # not imported at run time: `watch` is the only command that follows a run
    from runwise.adapters.sources.mlflow.discovery import Store
    from runwise.ports.follower import RunFollower


class MlflowRunSource:
    """A RunSource over the MLflow stores under `root`; each run is one MLflow run (nested runs included)."""

    name = SOURCE_NAME

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._where: dict[str, Store] = {}
        self._passed_over: list[Notice] = []

    def stores(self) -> list[Store]:
        return find_stores(self.root)

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        infos: list[RunInfo] = []
        self._passed_over = []
        for store in self.stores():
            try:
                records = store.records()
            except InvalidInput as exc:  # a newer schema, a corrupt or locked file: said, not fatal to others
                self._passed_over.append(self._notice(store, exc))
                continue
            for record in records:
                self._where[record.id] = store
                info = run_info(record)
                if project is None or info.project == project:
                    infos.append(info)
        infos.sort(key=lambda i: i.updated_at or i.created_at or 0.0, reverse=True)
        return infos[:limit] if limit is not None else infos

    def notices(self) -> Sequence[Notice]:
        """The stores the last listing could not read, one line each (alone, they are the answer: exit 2)."""
        return list(self._passed_over)

    def _notice(self, store: Store, exc: InvalidInput) -> Notice:
        try:
            shown = store.path.relative_to(self.root).as_posix()
        except ValueError:
            shown = str(store.path)
        reason = spell(exc.message, PLAIN).replace(str(store.path), shown)
        hint = spell(exc.hint, PLAIN) if exc.hint is not None else None
        return unreadable_store(SOURCE_NAME, "MLflow", shown, reason, hint)

    def _find(self, run_id: str) -> tuple[Store, RunRecord]:
        """The run's store and record; the store that listed it is asked first, the folder walked only if needed
        (a `run` asks three times: listing, the cache's fingerprint, loading)."""
        known = self._where.get(run_id)
        if known is not None:
            records = known.records(run_id)
            if records:
                return known, records[0]
        for store in self.stores():
            if store is known or (known is not None and store.path == known.path):
                continue
            records = store.records(run_id)
            if records:
                self._where[run_id] = store
                return store, records[0]
        raise RunNotFound(f"no MLflow run '{run_id}' under {self.root}", list_runs_hint())

    def load_run(self, run_id: str) -> Run:
        store, record = self._find(run_id)
        series = store.series(record.id, store.keys(record.id))
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=record.last_step)
        info = run_info(record)
        if last != info.last_step:
            import attrs

            info = attrs.evolve(info, last_step=last)
        summary = {key: float(s.values[-1]) for key, s in series.items() if len(s)}
        config = config_from_params(store.params(record.id))
        return Run(info=info, config=config, summary=summary, series=series)

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        store, record = self._find(run_id)
        known = store.keys(record.id)
        if keys is None:
            return store.series(record.id, known)
        for key in keys:
            if key not in known:
                raise MetricNotFound(f"run '{run_id}' has no metric '{key}'", list_keys_hint())
        return store.series(record.id, list(keys))

    def follow(self, run_id: str) -> RunFollower:
        """Read the run as it grows, one poll at a time (see ports.follower and mlflow/follow.py)."""
        from runwise.adapters.sources.mlflow.follow import follower

        store, record = self._find(run_id)
        return follower(store, record.id)

    def fingerprint(self, run_id: str) -> Hashable:
        store, record = self._find(run_id)
        if not isinstance(store, SqliteStore):  # a file store: the run's own folder
            return store.run_identity(record.id)
        return (store.identity(), record.status, record.end_ms, record.last_metric_ms)
