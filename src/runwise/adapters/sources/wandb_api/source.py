"""WandbApiRunSource: runs of one W&B cloud project, read through `wandb.Api` with work pushed to the server.

Filters and ordering go to the server (`api.runs(filters=..., order=...)`), history is sampled by
the server per key (`run.history(keys=[key], samples=N)`: each key keeps its own steps), and the
full history is scanned only when asked (`full_history=True`, `run.scan_history`).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from functools import partial
from typing import Any

from runwise.adapters.sources.wandb_api.client import call, make_api
from runwise.adapters.sources.wandb_api.convert import (
    SOURCE_NAME,
    history_key_names,
    run_info,
    scalar_summary,
    series_from_rows,
    to_float,
)
from runwise.adapters.sources.wandb_api.uri import WandbUri, parse_uri
from runwise.domain.errors import MetricNotFound
from runwise.domain.hints import list_keys_hint
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.query import Pushdown, to_wandb_filters

DEFAULT_SAMPLES = 2000  # points per key from W&B's server-side sampling
MAX_PAGE = 1000


class WandbApiRunSource:
    """A RunSource over one W&B project in the cloud (or a W&B server).

    Args:
        project: `wandb://entity/project` (a run id after it is allowed and ignored here) or `entity/project`.
        api: an object with the `wandb.Api` interface; built lazily from the `wandb` package when None.
        samples: points per key that the server samples history down to.
        full_history: read every point (`scan_history`) instead of the server's sample.
    """

    name = SOURCE_NAME
    disk_cache = False  # runs live on the server; its state, not file identity, says when they change

    def __init__(
        self,
        project: str | WandbUri,
        *,
        api: Any | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        samples: int = DEFAULT_SAMPLES,
        full_history: bool = False,
        timeout: int | None = None,
        per_page: int = 100,
    ) -> None:
        self.uri = project if isinstance(project, WandbUri) else parse_uri(project)
        self.samples = samples
        self.full_history = full_history
        self.per_page = per_page
        self._api = api
        self._api_key, self._base_url, self._timeout = api_key, base_url, timeout
        self._runs: dict[str, Any] = {}

    @property
    def api(self) -> Any:
        if self._api is None:
            self._api = make_api(self._api_key, self._base_url, self._timeout)
        return self._api

    def _path(self, project: str | None) -> str:
        return f"{self.uri.entity}/{project or self.uri.project}"

    def run_id(self, ref: str) -> str:
        """The run id in a `wandb://entity/project/run_id` reference (or the id itself)."""
        return (parse_uri(ref).run_id or ref) if "/" in ref else ref

    # listing ---------------------------------------------------------------------------------
    def list_runs(
        self,
        *,
        project: str | None = None,
        limit: int | None = None,
        filters: Mapping[str, Any] | None = None,
        order: str = "-created_at",
    ) -> Sequence[RunInfo]:
        """Runs newest first; `filters` (W&B's MongoDB-style query) and `order` are applied by the server."""
        page = min(limit or self.per_page, MAX_PAGE)
        runs = call(
            lambda: self.api.runs(path=self._path(project), filters=dict(filters or {}), order=order, per_page=page),
            "listing runs",
        )
        return call(lambda: [run_info(run) for run in _take(runs, limit)], "listing runs")

    def search_runs(self, pushdown: Pushdown, *, project: str | None = None) -> Sequence[RunInfo]:
        """Runs the server already filtered by the query's simple terms (the caller still checks the whole query)."""
        return self.list_runs(project=project, filters=to_wandb_filters(pushdown))

    def best_run(
        self,
        metric: str,
        *,
        higher_is_better: bool,
        filters: Mapping[str, Any] | None = None,
        project: str | None = None,
    ) -> tuple[RunInfo, float | None] | None:
        """The run with the best summary value of `metric`, ordered by the server; None when no run has it."""
        key = f"summary_metrics.{metric}"
        query = {"$and": [dict(filters), {key: {"$exists": True}}]} if filters else {key: {"$exists": True}}
        order = ("-" if higher_is_better else "+") + key
        runs = call(lambda: self.api.runs(path=self._path(project), filters=query, order=order, per_page=1), "ranking")
        first = call(lambda: next(iter(runs), None), "ranking runs")
        if first is None:
            return None
        summary = call(lambda: dict(first.summary_metrics or {}), "reading the summary")
        return run_info(first, summary=summary), to_float(summary.get(metric))

    # loading ---------------------------------------------------------------------------------
    def _run(self, run_id: str) -> Any:
        run_id = self.run_id(run_id)
        if run_id not in self._runs:
            self._runs[run_id] = call(lambda: self.api.run(self.uri.run_path(run_id)), f"opening run {run_id}")
        return self._runs[run_id]

    def load_run(self, run_id: str) -> Run:
        run = self._run(run_id)
        summary = call(lambda: dict(run.summary_metrics or {}), "reading the summary")
        config = call(lambda: {k: v for k, v in dict(run.config or {}).items() if not k.startswith("_")}, "config")
        series, warnings = self._series(run, None)
        info = run_info(run, summary=summary)
        return Run(info=info, config=config, summary=scalar_summary(summary), series=series, warnings=warnings)

    def load_series(
        self, run_id: str, keys: Collection[str] | None = None, *, samples: int | None = None, full: bool | None = None
    ) -> Mapping[str, MetricSeries]:
        series, _ = self._series(self._run(run_id), keys, samples=samples, full=full)
        return series

    def _series(
        self, run: Any, keys: Collection[str] | None, *, samples: int | None = None, full: bool | None = None
    ) -> tuple[dict[str, MetricSeries], tuple[str, ...]]:
        known = history_key_names(run)
        wanted = list(keys) if keys is not None else known
        for key in wanted:
            if keys is not None and known and key not in known:
                raise MetricNotFound(f"run '{run.id}' has no metric '{key}'", list_keys_hint(run.id))
        full = self.full_history if full is None else full
        samples = samples or self.samples
        out: dict[str, MetricSeries] = {}
        sampled = False
        for key in wanted:  # one request per key: W&B drops rows lacking any requested key
            rows = call(partial(_rows, run, key, samples, full), f"reading the history of {key}")
            sampled = sampled or (not full and len(rows) >= samples)
            out[key] = series_from_rows(key, rows)
        warnings = (f"history sampled by W&B to {samples} points per key; ask for full history for every point",)
        return out, warnings if sampled else ()

    def fingerprint(self, run_id: str) -> Hashable:
        """Fresh from the server: the run's state, heartbeat and last step (they change while it trains)."""
        run_id = self.run_id(run_id)
        self._runs.pop(run_id, None)
        info = run_info(self._run(run_id))
        return (info.id, info.state, info.updated_at, info.last_step)


def _rows(run: Any, key: str, samples: int, full: bool) -> list[Mapping[str, Any]]:
    if full:
        return list(run.scan_history(keys=[key, "_step"], page_size=MAX_PAGE))
    return list(run.history(samples=samples, keys=[key], pandas=False))


def _take(runs: Any, limit: int | None) -> list[Any]:
    out: list[Any] = []
    for run in runs:
        if limit is not None and len(out) >= limit:
            break
        out.append(run)
    return out
