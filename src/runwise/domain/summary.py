"""Run digests: the few facts per metric that a summary shows, and which metrics come first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs
import numpy as np

from runwise.domain.anomaly import Anomaly
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.roles import ROLE_PRIORITY, Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.series import best, last_finite, sparkline, trend
from runwise.domain.shared_repr import fields_repr

SPARK_WIDTH = 10
# More rows than the largest budget can show: digesting all of 100k keys took a minute for rows
# nobody sees. The rest are counted in `total_metrics` ("+N more metrics").
MAX_DIGESTS = 1000


@attrs.frozen
class MetricDigest:
    """Last and best value of one metric, its trend and a small sparkline."""

    __repr__ = fields_repr

    key: str
    role: Role
    count: int
    last: float | None
    last_step: int | None
    best: float | None
    best_step: int | None
    trend: str
    sparkline: str
    nonfinite: int
    first: float | None
    higher_is_better: bool | None
    percent: bool


@attrs.frozen
class RunSummary:
    """Everything a run summary may show, before it is fitted to a budget."""

    __repr__ = fields_repr

    run: RunInfo
    headline: str
    metrics: tuple[MetricDigest, ...]
    anomalies: tuple[Anomaly, ...] = ()
    recommendations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    total_metrics: int = 0
    step: int | None = None  # set when the summary is of the run as it was at a step


def digest(series: MetricSeries, schema: MetricSchema = DEFAULT_SCHEMA, spark_width: int = SPARK_WIDTH) -> MetricDigest:
    """Digest one full-resolution series."""
    role = schema.role(series.key)
    direction = schema.direction(series.key)
    last, last_step = last_finite(series)
    if series.values.size and last_step != series.last_step:
        # the most recent point is non-finite: that is the fact to show
        last, last_step = float(series.values[-1]), series.last_step
    best_value, best_step = best(series, direction) if direction is not None else (None, None)
    finite = np.isfinite(series.values)
    first = float(series.values[finite][0]) if finite.any() else None
    return MetricDigest(
        key=series.key,
        role=role,
        count=len(series),
        last=last,
        last_step=last_step,
        best=best_value,
        best_step=best_step,
        trend=trend(series),
        sparkline=sparkline(series.values, spark_width),
        nonfinite=int(series.values.size - np.count_nonzero(finite)),
        first=first,
        higher_is_better=direction,
        percent=schema.is_percent(series.key),
    )


def is_internal(key: str) -> bool:
    """Trackers' own bookkeeping (`_timestamp`, `_runtime`, `_step`): logged, but not a metric to show."""
    return key.startswith("_")


def rank_keys(keys: Iterable[str], schema: MetricSchema = DEFAULT_SCHEMA) -> list[str]:
    """Keys in the order a summary shows them: losses, validation, accuracy, lr, grad norm, the rest."""

    def order(key: str) -> tuple[int, int, str]:
        role = schema.role(key)
        return (ROLE_PRIORITY[role], key.count("/"), key)

    return sorted(keys, key=order)


def key_metrics(run: Run, schema: MetricSchema = DEFAULT_SCHEMA, limit: int | None = None) -> list[str]:
    """The metrics worth showing first; progress and system counters only when nothing else exists."""
    ranked = rank_keys((k for k, s in run.series.items() if len(s)), schema)
    primary = [k for k in ranked if schema.role(k) not in (Role.PROGRESS, Role.SYSTEM)]
    chosen = primary or ranked
    return chosen[:limit] if limit is not None else chosen


def build_summary(
    run: Run,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    headline: str,
    anomalies: Sequence[Anomaly] = (),
    recommendations: Sequence[str] = (),
    step: int | None = None,
) -> RunSummary:
    """Digest the run's key metrics (every point analysed; only the digest is kept)."""
    keys = key_metrics(run, schema, limit=MAX_DIGESTS)
    return RunSummary(
        run=run.info,
        headline=headline,
        metrics=tuple(digest(run.series[k], schema) for k in keys),
        anomalies=tuple(anomalies),
        recommendations=tuple(recommendations),
        warnings=tuple(run.warnings),
        total_metrics=sum(1 for k, s in run.series.items() if len(s) and not is_internal(k)),
        step=step,
    )
