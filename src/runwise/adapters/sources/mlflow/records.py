"""What every MLflow store kind says about a run, and how that becomes Runwise's RunInfo, config and series.

The three readers (sqlite, `mlruns/` files, the REST API) fill the same `RunRecord`; the rules
that turn MLflow's conventions into Runwise's are here once:
- status RUNNING → running, FINISHED → finished, FAILED/KILLED → crashed, SCHEDULED → unknown;
- run name from the `mlflow.runName` tag, git commit from `mlflow.source.git.commit`, notes from
  `mlflow.note.content`; the experiment is the project;
- params are strings in MLflow: "0.1" becomes 0.1 and "32" becomes 32, so config queries compare numbers;
- SQL stores keep NaN as 0 with `is_nan=1` and ±Infinity as ±1.7976931348623157e308 (checked
  against mlflow 3.17): both come back as NaN and ±Inf.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.model import GitInfo, MetricSeries, RunInfo, RunState, sorted_series
from runwise.domain.shared_repr import fields_repr

SOURCE_NAME = "mlflow"
FLOAT_MAX = sys.float_info.max  # MLflow's SQL stores write ±Infinity as ±this value
STATES: dict[str, RunState] = {
    "RUNNING": "running",
    "FINISHED": "finished",
    "FAILED": "crashed",
    "KILLED": "crashed",
    "SCHEDULED": "unknown",
}
# the file store writes RunStatus enum numbers into meta.yaml
STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"
_SHOWN_SYSTEM_TAGS = {"mlflow.user": "user", PARENT_TAG: "parent"}
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan|infinity)$", re.IGNORECASE)
_LITERALS: dict[str, Any] = {"True": True, "False": False, "true": True, "false": False, "None": None}


@attrs.frozen
class RunRecord:
    """A run as an MLflow store describes it (times in milliseconds, as MLflow keeps them)."""

    __repr__ = fields_repr

    id: str
    experiment: str | None
    status: str
    start_ms: int | None
    end_ms: int | None
    tags: Mapping[str, str] = attrs.field(factory=dict)
    fallback_name: str | None = None
    user: str | None = None
    last_step: int | None = None
    last_metric_ms: int | None = None
    path: str | None = None


def run_info(record: RunRecord) -> RunInfo:
    """RunInfo from a record; `updated_at` is the end time or, while running, the last metric written."""
    tags = record.tags
    name = tags.get(RUN_NAME_TAG) or record.fallback_name or record.id
    ends = [t for t in (record.end_ms, record.last_metric_ms, record.start_ms) if t is not None]
    updated_ms = max(ends) if ends else None
    runtime = (updated_ms - record.start_ms) / 1000 if updated_ms is not None and record.start_ms is not None else None
    commit = tags.get("mlflow.source.git.commit")
    remote = tags.get("mlflow.source.git.repoURL")
    return RunInfo(
        id=record.id,
        name=name,
        source=SOURCE_NAME,
        project=record.experiment,
        state=STATES.get(record.status.upper(), "unknown"),
        created_at=record.start_ms / 1000 if record.start_ms is not None else None,
        updated_at=updated_ms / 1000 if updated_ms is not None else None,
        last_step=record.last_step,
        runtime_s=max(0.0, runtime) if runtime is not None else None,
        tags=shown_tags(tags, record.user),
        notes=tags.get("mlflow.note.content") or None,
        git=GitInfo(commit=commit, remote=remote, branch=tags.get("mlflow.source.git.branch") or None)
        if commit or remote
        else None,
        path=record.path,
    )


def shown_tags(tags: Mapping[str, str], user: str | None = None) -> tuple[str, ...]:
    """The user's own tags as `key=value` (a bare key when empty), plus who ran it and its parent run."""
    out = [f"{key}={value}" if value else key for key, value in sorted(tags.items()) if not key.startswith("mlflow.")]
    user = tags.get("mlflow.user") or user
    extra = {**{k: v for k, v in tags.items() if k in _SHOWN_SYSTEM_TAGS}, **({"mlflow.user": user} if user else {})}
    out.extend(f"{_SHOWN_SYSTEM_TAGS[k]}={v}" for k, v in sorted(extra.items()) if v)
    return tuple(out)


def param_value(text: str) -> Any:
    """A param as the value it was logged from: MLflow stores `str(value)`."""
    stripped = text.strip()
    if stripped in _LITERALS:
        return _LITERALS[stripped]
    if _INT.match(stripped):
        return int(stripped)
    if _FLOAT.match(stripped):
        return float(stripped)
    return text


def config_from_params(params: Mapping[str, str]) -> dict[str, Any]:
    return {key: param_value(value) for key, value in sorted(params.items())}


def decode_sql_values(values: NDArray[np.float64], is_nan: NDArray[np.bool_] | None) -> NDArray[np.float64]:
    """NaN where `is_nan` is set, ±Inf where MLflow stored ±float max (in place; returns the array)."""
    if is_nan is not None and is_nan.any():
        values[is_nan] = math.nan
    values[values == FLOAT_MAX] = math.inf
    values[values == -FLOAT_MAX] = -math.inf
    return values


def ordered_series(
    key: str, steps: NDArray[np.int64], values: NDArray[np.float64], times_ms: NDArray[np.int64] | None
) -> MetricSeries:
    """A series sorted by step; a step logged twice keeps its latest write (by timestamp, then log order)."""
    wall = None if times_ms is None else times_ms.astype(np.float64)
    if wall is not None:
        wall /= 1000.0  # in place: one array of a 1M-step series less at once
    return series_by_time(key, steps, values, wall)


def series_by_time(
    key: str, steps: NDArray[np.int64], values: NDArray[np.float64], wall: NDArray[np.float64] | None
) -> MetricSeries:
    """`ordered_series` for wall times already in seconds (their order is the order of the milliseconds)."""
    if wall is not None and steps.size > 1 and not bool(np.all(steps[1:] > steps[:-1])):
        order = np.argsort(wall, kind="stable")  # then sorted_series' stable sort by step keeps the latest
        steps, values, wall = steps[order], values[order], wall[order]
    return sorted_series(key, steps, values, wall)
