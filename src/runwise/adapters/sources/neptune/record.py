"""What every form of Neptune data gives: one run's identity, attributes and float series."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runwise.domain.model import MetricSeries, RunState
from runwise.domain.shared_repr import fields_repr

# Namespaces Neptune fills itself; everything else a script assigned is the run's config.
SYSTEM_NAMESPACES = ("sys", "monitoring", "source_code", "runtime")
SCALE_FILE_NAME = "run_operations.sqlite3"  # a neptune-scale run's operations (offline or not yet synced)
CONFIG_NAMESPACE = "parameters"  # Neptune's documented `run["parameters"] = params`, lifted to the top


@attrs.frozen
class NeptuneRun:
    """A run as read from an offline folder, an operations database or an export."""

    __repr__ = fields_repr

    id: str
    name: str
    form: str  # "offline", "scale" or "export"
    project: str | None = None
    state: RunState = "unknown"
    created_at: float | None = None
    updated_at: float | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    config: Mapping[str, Any] = attrs.field(factory=dict)
    series: Mapping[str, MetricSeries] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()
    path: str | None = None
    last_step: int | None = None  # for a listing that read no series (offline peek); else from the series


def config_from(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Nested config from flat attribute paths (`parameters/opt/name`), Neptune's own namespaces left out."""
    config: dict[str, Any] = {}
    for path, value in attributes.items():
        parts = path.split("/")
        if parts[0] in SYSTEM_NAMESPACES:
            continue
        if parts[0] == CONFIG_NAMESPACE and len(parts) > 1:
            parts = parts[1:]
        node = config
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return config


def metric_key(path: str) -> str:
    """The key of a float series: its attribute path, with Neptune's hardware monitoring as `system/...`."""
    parts = path.split("/")
    if parts[0] == "monitoring" and len(parts) >= 3 and len(parts[1]) == 8:
        return "system/" + "/".join(parts[2:])  # monitoring/<process hash>/cpu → system/cpu
    if parts[0] == "runtime" and len(parts) >= 2 and parts[1] in {"cpu", "memory", "gpu", "gpu_memory"}:
        return "system/" + "/".join(parts[1:])
    return path
