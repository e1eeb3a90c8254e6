"""W&B public-API objects (wandb 0.31's `wandb.apis.public.Run`) turned into Runwise's domain values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import numpy as np

from runwise.domain.model import GitInfo, MetricSeries, RunInfo, RunState, sorted_series

SOURCE_NAME = "wandb-cloud"
_STATES: dict[str, RunState] = {
    "running": "running",
    "finished": "finished",
    "crashed": "crashed",
    "failed": "crashed",
    "killed": "crashed",
    "preempted": "crashed",
}
_NON_FINITE = {"nan": math.nan, "infinity": math.inf, "inf": math.inf, "-infinity": -math.inf, "-inf": -math.inf}
INTERNAL_KEYS = ("_step", "_runtime", "_timestamp")


def attr(run: Any, name: str, default: Any = None) -> Any:
    """A run attribute that lazy listings may lack (the public Run raises AttributeError then)."""
    try:
        return getattr(run, name)
    except (AttributeError, KeyError):
        return default


def parse_time(text: Any) -> float | None:
    """W&B's ISO timestamps ("2024-05-01T12:00:00Z" or without zone, which is UTC)."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def to_float(value: Any) -> float | None:
    """A number from a history cell: floats, ints and W&B's "NaN"/"Infinity" strings; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _NON_FINITE.get(value.strip().lower())
    return None


def last_step(run: Any) -> int | None:
    keys = attr(run, "history_keys")
    step = keys.get("lastStep") if isinstance(keys, Mapping) else None
    return int(step) if isinstance(step, int) and step >= 0 else None


def history_key_names(run: Any) -> list[str]:
    """Numeric history keys from the run's `historyKeys` (W&B's per-key type counts)."""
    keys = attr(run, "history_keys")
    table = keys.get("keys") if isinstance(keys, Mapping) else None
    if not isinstance(table, Mapping):
        return []
    out = []
    for name, meta in table.items():
        if name.startswith("_") or name in INTERNAL_KEYS:
            continue
        counts = meta.get("typeCounts", []) if isinstance(meta, Mapping) else []
        if not counts or any(isinstance(c, Mapping) and c.get("type") == "number" for c in counts):
            out.append(str(name))
    return sorted(out)


def run_info(run: Any, *, summary: Mapping[str, Any] | None = None) -> RunInfo:
    """RunInfo from the fields of W&B's lightweight run listing (no extra request per run)."""
    runtime = summary.get("_runtime") if summary else None
    commit = attr(run, "commit")
    return RunInfo(
        id=str(run.id),
        name=str(attr(run, "name") or run.id),
        source=SOURCE_NAME,
        project=attr(run, "project"),
        state=_STATES.get(str(attr(run, "state", "")).lower(), "unknown"),
        created_at=parse_time(attr(run, "created_at")),
        updated_at=parse_time(attr(run, "heartbeat_at")) or parse_time(attr(run, "created_at")),
        last_step=last_step(run),
        runtime_s=float(runtime) if isinstance(runtime, int | float) else None,
        tags=tuple(attr(run, "tags") or ()),
        notes=attr(run, "notes") or None,
        git=GitInfo(commit=commit) if commit else None,
    )


def series_from_rows(key: str, rows: Iterable[Mapping[str, Any]], x_axis: str = "_step") -> MetricSeries:
    """One key's points from history rows (`{"_step": ..., key: ...}`); rows without a number are skipped."""
    steps: list[int] = []
    values: list[float] = []
    walls: list[float] = []
    for row in rows:
        value = to_float(row.get(key))
        step = row.get(x_axis)
        if value is None or not isinstance(step, int | float) or isinstance(step, bool):
            continue
        steps.append(int(step))
        values.append(value)
        wall = row.get("_timestamp")
        walls.append(float(wall) if isinstance(wall, int | float) else math.nan)
    wall_a = np.array(walls, dtype=np.float64)
    wall_time = None if wall_a.size == 0 or np.isnan(wall_a).all() else wall_a
    return sorted_series(key, np.array(steps, dtype=np.int64), np.array(values, dtype=np.float64), wall_time)


def scalar_summary(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The summary flattened with `/`; media, tables and W&B's own `_wandb` entries are left out."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if name.startswith("_wandb"):
            continue
        if isinstance(value, Mapping):
            if "_type" not in value:
                out.update(scalar_summary(value, name + "/"))
        elif isinstance(value, str | int | float | bool) or value is None:
            out[name] = value
    return out
