"""MlflowServerRunSource: runs on an MLflow tracking server, with filters and ordering done by the server.

- listing is `runs/search` over the server's experiments, newest first (`order_by start_time DESC`),
  paged, and restricted to one experiment by name when a project is given;
- `query` hands the pushable part of its expression to `search_runs`, which becomes the
  `filter` string of `runs/search` (names, ids, states, string params; see domain/query/pushdown.py);
- `best` asks `runs/search` to order by the metric (`metrics.`KEY` DESC|ASC`) and reads one run;
- histories are read whole, page by page, with `metrics/get-history` (every point is analysed);
  `load_series(..., samples=N)` instead asks `metrics/get-history-bulk-interval` for a sample.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from runwise.adapters.sources.mlflow.records import (
    SOURCE_NAME,
    RunRecord,
    config_from_params,
    decode_sql_values,
    ordered_series,
    run_info,
)
from runwise.adapters.sources.mlflow.rest import RestClient
from runwise.domain.errors import MetricNotFound, RunNotFound
from runwise.domain.hints import list_keys_hint, list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.query import Pushdown, to_mlflow_filter

HISTORY_PAGE = 25_000  # points per metrics/get-history page (~2 MB of JSON)
SEARCH_PAGE = 1_000
MAX_LISTED = 5_000  # runs one listing reads at most; filters and a project narrow it on the server
BULK_MAX = 2_500  # the server's cap on points per run of get-history-bulk-interval
_JSON_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _number(value: Any) -> float:
    """A metric value from the JSON body: numbers, and protobuf's "NaN"/"Infinity" strings."""
    if isinstance(value, str):
        return _JSON_FLOATS.get(value, math.nan)
    return float(value) if value is not None else math.nan


class MlflowServerRunSource:
    """A RunSource over one MLflow tracking server (`http(s)://host:port[/prefix]`).

    Args:
        url: the tracking URI, as given to MLFLOW_TRACKING_URI.
        experiment: list only this experiment (by name), as `--project` would.
        client: a RestClient (tests pass one with their own transport); built from url when None.
    """

    name = SOURCE_NAME

    def __init__(
        self,
        url: str,
        *,
        experiment: str | None = None,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        client: RestClient | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.experiment = experiment
        self.client = client or RestClient(self.url, token=token, username=username, password=password)
        self._experiment_names: dict[str, str] = {}

    # experiments -----------------------------------------------------------------------------
    def _experiments(self) -> dict[str, str]:
        """Active experiments, id -> name."""
        names: dict[str, str] = {}
        token: str | None = None
        while True:
            body = {"max_results": SEARCH_PAGE, "view_type": "ACTIVE_ONLY", **({"page_token": token} if token else {})}
            page = self.client.post("experiments/search", body)
            for exp in page.get("experiments", []):
                names[str(exp["experiment_id"])] = str(exp.get("name", exp["experiment_id"]))
            token = page.get("next_page_token")
            if not token:
                break
        self._experiment_names.update(names)
        return names

    def _experiment_ids(self, project: str | None) -> list[str]:
        wanted = project or self.experiment
        if wanted is None:
            return list(self._experiments())
        try:
            body = self.client.get("experiments/get-by-name", {"experiment_name": wanted})
        except RunNotFound:
            raise RunNotFound(
                f"the MLflow server at {self.url} has no experiment named '{wanted}'",
                list_runs_hint(),
            ) from None
        exp = body["experiment"]
        self._experiment_names[str(exp["experiment_id"])] = str(exp.get("name", wanted))
        return [str(exp["experiment_id"])]

    # listing ---------------------------------------------------------------------------------
    def _search(
        self,
        *,
        project: str | None,
        filter: str = "",
        order_by: Sequence[str] = ("attributes.start_time DESC",),
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        ids = self._experiment_ids(project)
        if not ids:
            return
        wanted = min(limit or MAX_LISTED, MAX_LISTED)
        token: str | None = None
        seen = 0
        while seen < wanted:
            body: dict[str, Any] = {
                "experiment_ids": ids,
                "filter": filter,
                "run_view_type": "ACTIVE_ONLY",
                "max_results": min(SEARCH_PAGE, wanted - seen),
                "order_by": list(order_by),
            }
            if token:
                body["page_token"] = token
            page = self.client.post("runs/search", body)
            for run in page.get("runs", []):
                seen += 1
                yield run
            token = page.get("next_page_token")
            if not token:
                return

    def list_runs(self, *, project: str | None = None, limit: int | None = None, filter: str = "") -> Sequence[RunInfo]:
        """Runs newest first; `filter` is an MLflow search filter applied by the server."""
        return [run_info(self._record(run)) for run in self._search(project=project, filter=filter, limit=limit)]

    def search_runs(self, pushdown: Pushdown, *, project: str | None = None) -> Sequence[RunInfo]:
        """Runs the server already filtered by the query's simple terms (the caller still checks the whole query)."""
        return self.list_runs(project=project, filter=to_mlflow_filter(pushdown))

    def best_run(
        self, metric: str, *, higher_is_better: bool, project: str | None = None
    ) -> tuple[RunInfo, float | None] | None:
        """The run whose latest `metric` is best, as the server orders them; None when the key can't be ordered."""
        if "`" in metric:
            return None
        order = f"metrics.`{metric}` {'DESC' if higher_is_better else 'ASC'}"
        for run in self._search(project=project, order_by=(order, "attributes.start_time DESC"), limit=1):
            record = self._record(run)
            latest = {m["key"]: _number(m.get("value")) for m in run.get("data", {}).get("metrics", [])}
            value = latest.get(metric)
            return run_info(record), None if value is None or math.isnan(value) else value
        return None

    def _record(self, run: Mapping[str, Any]) -> RunRecord:
        info, data = run.get("info", {}), run.get("data", {})
        tags = {t["key"]: str(t.get("value", "")) for t in data.get("tags", [])}
        metrics = data.get("metrics", [])
        steps = [int(m.get("step", 0)) for m in metrics]
        times = [int(m["timestamp"]) for m in metrics if m.get("timestamp") is not None]
        experiment_id = str(info.get("experiment_id", ""))
        return RunRecord(
            id=str(info.get("run_id") or info.get("run_uuid")),
            experiment=self._experiment_names.get(experiment_id, experiment_id or None),
            status=str(info.get("status", "")),
            start_ms=_int(info.get("start_time")),
            end_ms=_int(info.get("end_time")),
            tags=tags,
            fallback_name=info.get("run_name"),
            user=info.get("user_id"),
            last_step=max(steps) if steps else None,
            last_metric_ms=max(times) if times else None,
        )

    # loading ---------------------------------------------------------------------------------
    def _get(self, run_id: str) -> dict[str, Any]:
        missing = RunNotFound(f"no MLflow run '{run_id}' on {self.url}", list_runs_hint())
        try:
            run: dict[str, Any] = self.client.get("runs/get", {"run_id": run_id})["run"]
        except RunNotFound:
            raise missing from None
        if run.get("info", {}).get("lifecycle_stage") == "deleted":  # in MLflow's trash: gone, as in its UI
            raise missing
        experiment_id = str(run.get("info", {}).get("experiment_id", ""))
        if experiment_id and experiment_id not in self._experiment_names:
            try:
                exp = self.client.get("experiments/get", {"experiment_id": experiment_id})["experiment"]
                self._experiment_names[experiment_id] = str(exp.get("name", experiment_id))
            except RunNotFound:
                pass
        return run

    def load_run(self, run_id: str) -> Run:
        run = self._get(run_id)
        record = self._record(run)
        keys = sorted({m["key"] for m in run.get("data", {}).get("metrics", [])})
        series = {key: self._history(record.id, key) for key in keys}
        params = {p["key"]: str(p.get("value", "")) for p in run.get("data", {}).get("params", [])}
        summary = {key: float(s.values[-1]) for key, s in series.items() if len(s)}
        return Run(info=run_info(record), config=config_from_params(params), summary=summary, series=series)

    def load_series(
        self, run_id: str, keys: Collection[str] | None = None, *, samples: int | None = None
    ) -> Mapping[str, MetricSeries]:
        """Every point of each key; with `samples`, the server's own sample of at most that many points per key."""
        run = self._get(run_id)
        known = sorted({m["key"] for m in run.get("data", {}).get("metrics", [])})
        for key in keys or ():
            if key not in known:
                raise MetricNotFound(f"run '{run_id}' has no metric '{key}'", list_keys_hint())
        wanted = list(keys) if keys is not None else known
        if samples is not None:
            return {key: self._sampled(run_id, key, samples) for key in wanted}
        return {key: self._history(run_id, key) for key in wanted}

    def _history(self, run_id: str, key: str) -> MetricSeries:
        """Every point of one key, `HISTORY_PAGE` points per request."""
        points: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": HISTORY_PAGE}
            if token:
                params["page_token"] = token
            page = self.client.get("metrics/get-history", params)
            points.extend(page.get("metrics", []))
            token = page.get("next_page_token")
            if not token:
                break
        return _series(key, points)

    def _sampled(self, run_id: str, key: str, samples: int) -> MetricSeries:
        params = {"run_ids": run_id, "metric_key": key, "max_results": max(2, min(samples, BULK_MAX))}
        page = self.client.get("metrics/get-history-bulk-interval", params, ajax=True)
        return _series(key, page.get("metrics", []))

    def fingerprint(self, run_id: str) -> Hashable:
        """Fresh from the server: status, end time and the latest logged step and time (they move while it trains)."""
        record = self._record(self._get(run_id))
        return (record.id, record.status, record.end_ms, record.last_step, record.last_metric_ms)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _series(key: str, points: Sequence[Mapping[str, Any]]) -> MetricSeries:
    steps = np.fromiter((int(p.get("step", 0)) for p in points), dtype=np.int64, count=len(points))
    values = np.fromiter((_number(p.get("value")) for p in points), dtype=np.float64, count=len(points))
    times = np.fromiter((int(p.get("timestamp", 0)) for p in points), dtype=np.int64, count=len(points))
    return ordered_series(key, steps, decode_sql_values(values, None), times)
