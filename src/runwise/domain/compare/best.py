"""The best run for one metric: direction from the caller or the metric's role, by last or best value.

A run whose metric ends in NaN/Inf has no valid last value. Ranked by last value it comes after every scored
run, in `skipped`, with the reason ("ends in NaN at step 700"), never by its stale last finite point.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Literal

import attrs
import numpy as np

from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.hints import Param, Text, list_keys_hint, say
from runwise.domain.model import Run, RunInfo
from runwise.domain.numbers import format_step
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.series import best, last_finite, nonfinite_tail
from runwise.domain.shared_repr import fields_repr

Mode = Literal["last", "best"]


@attrs.frozen
class RankedRun:
    """A run's score for the metric: its last finite value, or its best one, and the step of that value."""

    __repr__ = fields_repr

    info: RunInfo
    value: float
    step: int


@attrs.frozen
class BestRun:
    """The winner, every candidate ranked best first, and the runs that could not be scored and why."""

    __repr__ = fields_repr

    metric: str
    role: Role
    higher_is_better: bool
    direction_inferred: bool  # True when the direction came from the schema / role, not the caller
    mode: Mode
    winner: RankedRun
    ranking: tuple[RankedRun, ...]
    skipped: tuple[tuple[str, str], ...]  # (run name, reason), after the ranking: ends in NaN, does not log it...
    percent: bool = False  # the schema shows this metric as a percent


class DirectionUnknown(InvalidInput):
    """Neither the caller nor the metric's role says whether higher or lower is better.

    The hint names the `direction` parameter; each interface spells it (`--max`, `direction='max'`).
    """

    def __init__(self, metric: str) -> None:
        self.metric = metric
        super().__init__(
            f"cannot tell whether higher or lower '{metric}' is better",
            say(
                "pass ",
                Param("direction", "max"),
                " or ",
                Param("direction", "min"),
                ", or set it in the metric schema",
            ),
        )


def metric_direction(metric: str, higher_is_better: bool | None, schema: MetricSchema) -> tuple[bool, bool]:
    """(higher_is_better, inferred). Raises DirectionUnknown when neither the caller nor the role decides."""
    if higher_is_better is not None:
        return higher_is_better, False
    inferred = schema.direction(metric)
    if inferred is None:
        raise DirectionUnknown(metric)
    return inferred, True


def score(run: Run, metric: str, higher_is_better: bool, mode: Mode) -> tuple[float, int] | None:
    """The run's (value, step) for the metric in this mode, or None when it has none.

    A series that ends in NaN/Inf has no last value: its last finite point is from before the run broke, and
    ranking by it would put a blown-up run among healthy ones. Its best value reached is still a fact.
    """
    series = run.series.get(metric)
    if series is None:
        return None
    if mode == "last" and nonfinite_tail(series) is not None:
        return None
    value, step = last_finite(series) if mode == "last" else best(series, higher_is_better)
    if value is None or step is None:
        return None
    return value, step


def unscored_reason(run: Run, metric: str) -> str:
    """Why a run has no score for the metric: 'does not log it', 'ends in NaN at step 700', 'has no finite value'."""
    series = run.series.get(metric)
    if series is None:
        return "does not log it"
    tail = nonfinite_tail(series)
    if tail is not None and np.isfinite(series.values).any():
        return f"ends in {tail[0]} at step {format_step(tail[1])}"
    return "has no finite value"


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
        scored = score(run, metric, direction, mode)
        if scored is None:
            skipped.append((run.info.name, unscored_reason(run, metric)))
            continue
        ranked.append(RankedRun(run.info, scored[0], scored[1]))
    if not ranked:
        if mode == "last" and any(why.startswith("ends in") for _, why in skipped):
            raise MetricNotFound(
                f"no run has a valid last value for '{metric}': " + "; ".join(f"{n} {why}" for n, why in skipped[:3]),
                say("rank by the best value reached instead: ", Param("mode", "best")),
            )
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


def _suggest(metric: str, runs: Sequence[Run]) -> Text:
    keys = sorted(set().union(*(run.series.keys() for run in runs))) if runs else []
    close = difflib.get_close_matches(metric, keys, n=3, cutoff=0.5)
    close += [k for k in keys if metric.lower() in k.lower() and k not in close][: 3 - len(close)]
    if close:
        return "did you mean " + ", ".join(close) + "?"
    return list_keys_hint()
