"""Query rows over runs: RunInfo fields are free, config and metrics cost a load done at most once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from runwise.domain.model import Run, RunInfo
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.series import best


class RunRow:
    """A `QueryRow` over one run; `load` is called the first time config or a metric is needed."""

    def __init__(
        self,
        info: RunInfo,
        load: Callable[[], Run] | Run | None = None,
        *,
        schema: MetricSchema = DEFAULT_SCHEMA,
    ) -> None:
        self.info = info
        self.schema = schema
        self._run = load if isinstance(load, Run) else None
        self._load = None if isinstance(load, Run) else load
        self._stats: dict[tuple[str, str], float | None] = {}

    @classmethod
    def of(cls, run: Run, *, schema: MetricSchema = DEFAULT_SCHEMA) -> RunRow:
        """A row over an already loaded run."""
        return cls(run.info, run, schema=schema)

    @property
    def loaded(self) -> bool:
        return self._run is not None

    @property
    def run(self) -> Run | None:
        """The run, loading it now if a loader was given; None for an info-only row."""
        if self._run is None and self._load is not None:
            self._run = self._load()
            self._load = None
        return self._run

    # QueryRow --------------------------------------------------------------------------------
    def field(self, name: str) -> Any:
        info = self.info
        if name == "steps":
            if info.last_step is None and self._run is not None:
                return self._run.info.last_step
            return info.last_step
        if name == "runtime":
            return info.runtime_s
        if name in ("name", "id", "state", "tags", "project", "source", "notes"):
            return getattr(info, name)
        return None

    def config_value(self, path: tuple[str, ...]) -> Any:
        run = self.run
        if run is None:
            return None
        return lookup_config(run.config, path)

    def metric(self, key: str, stat: str) -> float | None:
        cache_key = (key, stat)
        if cache_key not in self._stats:
            self._stats[cache_key] = self._compute(key, stat)
        return self._stats[cache_key]

    def is_fraction(self, key: str) -> bool | None:
        if self.schema.is_percent(key):
            return True
        values = self._finite(key)
        if values is None or values.size == 0:
            return None
        return bool(values.min() >= 0.0 and values.max() <= 1.0)

    # helpers ---------------------------------------------------------------------------------
    def _finite(self, key: str) -> np.ndarray[Any, Any] | None:
        run = self.run
        if run is None:
            return None
        series = run.series.get(key)
        if series is not None:
            return series.values[np.isfinite(series.values)]
        fallback = run.summary.get(key)
        if isinstance(fallback, (int, float)) and not isinstance(fallback, bool) and np.isfinite(fallback):
            return np.array([float(fallback)])  # logged once (e.g. a final test score): a summary value only
        return None

    def _compute(self, key: str, stat: str) -> float | None:
        values = self._finite(key)
        if values is None or values.size == 0:
            return None
        if stat == "last":
            return float(values[-1])
        if stat == "first":
            return float(values[0])
        if stat == "min":
            return float(values.min())
        if stat == "max":
            return float(values.max())
        if stat == "mean":
            return float(values.mean())
        if stat == "best":
            direction = self.schema.direction(key)
            if direction is None:
                return None
            run = self.run
            series = run.series.get(key) if run is not None else None
            if series is None:
                return float(values[-1])
            return best(series, direction)[0]
        return None


def lookup_config(config: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """`a.b` as a flat key first (sweeps often store dotted keys), else nested; W&B `{"value": x}` unwrapped."""
    flat = ".".join(path)
    if flat in config:
        return _unwrap(config[flat])
    node: Any = config
    for i, part in enumerate(path):
        if not isinstance(node, Mapping):
            return None
        rest = ".".join(path[i:])
        if i and rest in node:  # a dotted key inside a nested mapping
            return _unwrap(node[rest])
        if part not in node:
            return None
        node = _unwrap(node[part])
    return node


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) <= {"value", "desc"} and "value" in value:
        return value["value"]
    return value
