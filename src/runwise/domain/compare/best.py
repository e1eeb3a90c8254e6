"""The best run for one metric: direction from the caller or the metric's role, by last or best value."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal

import attrs

from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.model import Run, RunInfo
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.series import best, last_finite

Mode = Literal["last", "best"]


@attrs.frozen
class RankedRun:
    """A run's score for the metric: its last finite value, or its best one, and the step of that value."""

    info: RunInfo
    value: float
    step: int


@attrs.frozen
class BestRun:
    """The winner, every candidate ranked best first, and the runs that could not be scored and why."""

    metric: str
    role: Role
    higher_is_better: bool
    direction_inferred: bool  # True when the direction came from the schema / role, not the caller
    mode: Mode
    winner: RankedRun
    ranking: tuple[RankedRun, ...]
    skipped: tuple[tuple[str, str], ...]  # (run name, reason)
    percent: bool = False  # the schema shows this metric as a percent


def metric_direction(metric: str, higher_is_better: bool | None, schema: MetricSchema) -> tuple[bool, bool]:
    """(higher_is_better, inferred). Raises InvalidInput when neither the caller nor the role decides."""
    if higher_is_better is not None:
        return higher_is_better, False
    inferred = schema.direction(metric)
    if inferred is None:
        raise InvalidInput(
            f"cannot tell whether higher or lower '{metric}' is better",
            "pass --max or --min (direction='max' or 'min'), or set it in the metric schema",
        )
    return inferred, True


def score(run: Run, metric: str, higher_is_better: bool, mode: Mode) -> tuple[float, int] | None:
    """The run's (value, step) for the metric in this mode, or None when it has no finite value."""
    series = run.series.get(metric)
    if series is None:
        return None
    value, step = last_finite(series) if mode == "last" else best(series, higher_is_better)
    if value is None or step is None:
        return None
    return value, step


def best_run(
    runs: Sequence[Run],
    metric: str,
    higher_is_better: bool | None = None,
    mode: Mode = "last",
    *,
    schema: MetricSchema = DEFAULT_SCHEMA,
) -> BestRun:
    """Rank runs by `metric`. Raises MetricNotFound (with close key names) when no run has a finite value."""
    if mode not in ("last", "best"):
        raise InvalidInput(f"unknown mode '{mode}'", "use 'last' (final value) or 'best' (best value reached)")
    if not any(metric in run.series for run in runs):  # a typo is the likelier problem than a missing direction
        raise MetricNotFound(f"no run logs '{metric}'", _suggest(metric, runs))
    direction, inferred = metric_direction(metric, higher_is_better, schema)
    ranked: list[RankedRun] = []
    skipped: list[tuple[str, str]] = []
    for run in runs:
        if metric not in run.series:
            skipped.append((run.info.name, "does not log it"))
            continue
        scored = score(run, metric, direction, mode)
        if scored is None:
            skipped.append((run.info.name, "has no finite value"))
            continue
        ranked.append(RankedRun(run.info, scored[0], scored[1]))
    if not ranked:
        raise MetricNotFound(f"no run has a finite value for '{metric}'", _suggest(metric, runs))
    # stable sort: ties keep the caller's order (the catalog lists newest first)
    ranked.sort(key=lambda r: -r.value if direction else r.value)
    return BestRun(
        metric=metric,
        role=schema.role(metric),
        higher_is_better=direction,
        direction_inferred=inferred,
        mode=mode,
        winner=ranked[0],
        ranking=tuple(ranked),
        skipped=tuple(skipped),
        percent=schema.is_percent(metric),
    )


def _suggest(metric: str, runs: Sequence[Run]) -> str:
    keys = sorted(set().union(*(run.series.keys() for run in runs))) if runs else []
    close = difflib.get_close_matches(metric, keys, n=3, cutoff=0.5)
    close += [k for k in keys if metric.lower() in k.lower() and k not in close][: 3 - len(close)]
    if close:
        return "did you mean " + ", ".join(close) + "?"
    return "list keys with: runwise keys REF"
