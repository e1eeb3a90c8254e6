"""plateau: no meaningful improvement over a long stretch; "stalled early" versus "converged".

Stalled early (warning): the level over the last tenth of the run is within `stall_max_improvement` of the level
over the first tenth, relative to it, or within three times that while still falling as fast in the second half as
in the first (a steady crawl, the mark of a tiny lr; a converging loss front-loads its gains). Tenths, not single
points or a running minimum, so batch noise cannot fake progress.

Converged (info): from some block on, no later block improves on it by more than `plateau_min_improvement`, that
block is at the best level, and the flat stretch covers at least `plateau_min_fraction` of the run: the remaining
steps bought nothing. A plateau that training later leaves (as under a step decay) is not reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs
import numpy as np

from runwise.domain.analysis.detectors.common import fmt, percent, step, times
from runwise.domain.analysis.detectors.overfitting import improvement
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import block_medians, end_level, finite_points, median_between
from runwise.domain.anomaly import Anomaly
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

THRESHOLDS = (
    MIN_POINTS,
    Threshold("plateau_min_improvement", 0.01, "relative improvement below which a stretch counts as flat"),
    Threshold("plateau_min_fraction", 0.30, "a converged plateau must cover this fraction of the run to be reported"),
    Threshold(
        "never_improved_train",
        3.0,
        "validation that never beat its first point is a warning when training fell this many times meanwhile",
    ),
    Threshold(
        "late_plateau_fraction",
        0.40,
        "validation that stopped improving for this fraction of the run while training fell never_improved_train×",
    ),
    Threshold(
        "stall_max_improvement", 0.03, "whole-run relative gain under which the loss 'stalled early' (3× if steady)"
    ),
)


NEVER = "never improved"
STOPPED = "stopped improving"
_REAL_GAIN = 0.02  # an evaluation that beats the best before it by this much is still progress
CONSTANT = "not judged"


def _stalled(key: str, steps: np.ndarray, x: np.ndarray, sign: float, th: Thresholds, role: Role) -> Anomaly | None:
    tenth = max(2, x.size // 10)
    start, end = float(median(x[:tenth])), float(median(x[-tenth:]))
    middle = float(median(x[x.size // 2 - tenth // 2 : x.size // 2 + tenth - tenth // 2]))
    if start == 0:
        return None
    gained = (start - end) / abs(start)
    if gained < -th.stall_max_improvement:
        return None  # a rise: divergence's business
    # a slow but steady fall (the second half gains about as much as the first) is a stall up to 3× the bar;
    # a fall that is front-loaded and then flat is convergence, e.g. continued pretraining
    steady = (middle - end) >= 0.6 * (start - middle)
    if gained >= th.stall_max_improvement and not (steady and gained < 3 * th.stall_max_improvement):
        return None
    first, last = sign * start, sign * end
    return Anomaly(
        kind="plateau",
        metric=key,
        start_step=int(steps[0]),
        end_step=int(steps[-1]),
        peak_step=int(steps[0]),
        severity="warning",
        message=(
            f"{key} stalled early: barely moved from step {step(steps[0])} ({fmt(first, role)}) to step "
            f"{step(steps[-1])} ({fmt(last, role)}, {percent((last - first) / abs(first))})"
        ),
        value=last,
    )


def _converged(key: str, steps: np.ndarray, x: np.ndarray, sign: float, th: Thresholds, role: Role) -> Anomaly | None:
    n = x.size
    size = max(2, math.ceil(n / 20))
    med = block_medians(x, size)
    if med.size < 4:
        return None
    later_best = np.minimum.accumulate(med[::-1])[::-1]
    later_best = np.append(later_best[1:], np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        flat = (med - later_best) <= th.plateau_min_improvement * np.abs(med)
    p = int(np.argmax(flat))
    best = float(med.min())
    if med[p] - best > th.plateau_min_improvement * abs(med[p]):
        return None  # flat, but above the best reached earlier: not convergence
    if float(median(med[-3:])) - med[p] > 10 * th.plateau_min_improvement * abs(med[p]):
        return None  # it rose again later: whatever this is, it is not a converged run
    start_i = p * size
    span = float(steps[-1] - steps[0])
    covered = float(steps[-1] - steps[start_i]) / span if span > 0 else 0.0
    if covered < th.plateau_min_fraction or med.size - p < 3:
        return None
    level = sign * float(med[p])
    return Anomaly(
        kind="plateau",
        metric=key,
        start_step=int(steps[start_i]),
        end_step=int(steps[-1]),
        peak_step=int(steps[start_i]),
        severity="info",
        message=(
            f"{key} converged by step {step(steps[start_i])} at ~{fmt(level, role)}: under "
            f"{th.plateau_min_improvement:.0%} further gain over the last {step(steps[-1] - steps[start_i])} steps "
            f"({covered:.0%} of the run)"
        ),
        value=level,
    )


def detect_plateau(
    series: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    role: Role = Role.LOSS,
    higher_is_better: bool = False,
) -> list[Anomaly]:
    """At most one plateau for an objective: stalled early, or converged well before the end.

    A short series (under min_points, from 6 points) is judged for convergence only, point by point, and says so:
    too few points tell a stall from a loss that had little left to learn.
    """
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    sign = -1.0 if higher_is_better else 1.0
    x = sign * values
    if values.size < th.min_points:
        short = _converged(series.key, steps, x, sign, th, role) if values.size >= 6 else None
        if short is None:
            return []
        return [attrs.evolve(short, message=f"{short.message} (judged on {values.size} points)")]
    found = _stalled(series.key, steps, x, sign, th, role) or _converged(series.key, steps, x, sign, th, role)
    return [found] if found else []


def detect_never_improved(
    val: MetricSeries,
    train: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    val_role: Role = Role.VAL_LOSS,
    higher_is_better: bool = False,
) -> list[Anomaly]:
    """Validation that never got better than its first point while the training loss fell `never_improved_train`×
    or more over the same steps: a validation set that never responds (a broken pipeline, wrong labels, a
    different distribution) or a model that memorises from the start."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    vsteps, vvalues = finite_points(val)
    ts, tv = finite_points(train)
    nv = vvalues.size
    if nv < 4 or tv.size < 3:
        return []
    x = -vvalues if higher_is_better else vvalues
    if improvement(x) >= 0.05:
        return []
    half = max(float(median(np.diff(vsteps))) / 2, 1.0)
    start = median_between(ts, tv, float(ts[0]), float(vsteps[0]) + half)
    end = end_level(tv) if vsteps[-1] + half >= ts[-1] else median_between(ts, tv, vsteps[-2], vsteps[-1] + half)
    if start is None or end is None or end <= 0 or start / end < th.never_improved_train:
        return []
    first, last = float(vvalues[0]), float(vvalues[-1])
    return [
        Anomaly(
            kind="plateau",
            metric=val.key,
            start_step=int(vsteps[0]),
            end_step=int(vsteps[-1]),
            peak_step=int(vsteps[int(np.argmax(x))]),
            severity="warning",
            message=(
                f"{val.key} never improved: {fmt(first, val_role)} at step {step(vsteps[0])}, "
                f"{fmt(last, val_role)} at step {step(vsteps[-1])}, while {train.key} fell {times(start / end)} "
                f"({fmt(start, Role.LOSS)}→{fmt(end, Role.LOSS)}) (judged on {nv} validation points)"
            ),
            value=last,
        )
    ]


def detect_stopped_improving(
    val: MetricSeries,
    train: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    val_role: Role = Role.VAL_LOSS,
    higher_is_better: bool = False,
) -> list[Anomaly]:
    """Validation that stopped improving (no evaluation beat its best by 2% since) over the last
    `late_plateau_fraction` of its span while the training loss fell `never_improved_train`× or more meanwhile:
    the epochs after it only fit the training set. A validation curve that rose after its best is overfitting's
    business (see detect.py's reconciling); one that never improved is `detect_never_improved`'s."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    vsteps, vvalues = finite_points(val)
    ts, tv = finite_points(train)
    nv = vvalues.size
    if nv < 4 or tv.size < 3:
        return []
    x = -vvalues if higher_is_better else vvalues
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(x)[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        gains = (best_before - x) / np.abs(best_before)
    real = np.flatnonzero(gains[1:] > _REAL_GAIN) + 1
    if real.size == 0:
        return []  # never improved
    g = int(real[-1])
    span = float(vsteps[-1] - vsteps[0])
    if nv - 1 - g < 2 or span <= 0 or (vsteps[-1] - vsteps[g]) / span < th.late_plateau_fraction:
        return []
    half = max(float(median(np.diff(vsteps))) / 2, 1.0)
    at = median_between(ts, tv, float(vsteps[g]) - half, float(vsteps[g]) + half)
    end = end_level(tv) if vsteps[-1] + half >= ts[-1] else median_between(ts, tv, vsteps[-2], vsteps[-1] + half)
    if at is None or end is None or end <= 0 or at / end < th.never_improved_train:
        return []
    return [
        Anomaly(
            kind="plateau",
            metric=val.key,
            start_step=int(vsteps[g]),
            end_step=int(vsteps[-1]),
            peak_step=int(vsteps[g]),
            severity="warning",
            message=(
                f"{val.key} {STOPPED} at step {step(vsteps[g])} ({fmt(float(vvalues[g]), val_role)}; "
                f"{nv - 1 - g} evaluations since, {(vsteps[-1] - vsteps[g]) / span:.0%} of the run) while "
                f"{train.key} fell {times(at / end)} ({fmt(at, Role.LOSS)}→{fmt(end, Role.LOSS)}): later epochs "
                f"only fit the training set"
            ),
            value=float(vvalues[-1]),
        )
    ]


def constant_note(keys: Sequence[str], run_series: Mapping[str, MetricSeries]) -> Anomaly:
    """One note for every loss or validation metric that held one value throughout: said once, not judged."""
    first = run_series[keys[0]]
    value = float(first.values[np.isfinite(first.values)][0])
    named = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
    verb = "is" if len(keys) == 1 else "are"
    return Anomaly(
        kind="plateau",
        metric=keys[0],
        start_step=int(first.steps[0]),
        end_step=int(first.steps[-1]),
        peak_step=int(first.steps[0]),
        severity="info",
        message=f"{named} {verb} {fmt(value)} throughout: {CONSTANT}",
        value=value,
    )


def find(scope: Scope) -> list[Anomaly]:
    """The objective's plateau; validation that never improved while training did; constant metrics, once."""
    out: list[Anomaly] = []
    s = scope.objective_series
    if s is not None:
        hib = scope.objective_higher_is_better
        out += detect_plateau(s, scope.schema, role=scope.role(s.key), higher_is_better=hib)
    keys = scope.keys
    validation = keys.val_loss or keys.val_metric
    if validation is not None and keys.train_loss is not None:
        out += detect_never_improved(
            scope.series[validation], scope.series[keys.train_loss], scope.schema,
            val_role=scope.role(validation), higher_is_better=keys.val_loss is None,
        )  # fmt: skip
        out += detect_stopped_improving(
            scope.series[validation], scope.series[keys.train_loss], scope.schema,
            val_role=scope.role(validation), higher_is_better=keys.val_loss is None,
        )  # fmt: skip
    if keys.constant:
        out.append(constant_note(keys.constant, scope.series))
    return out


def advise(a: Anomaly, c: Advice) -> str | None:
    s = step(a.start_step)
    if CONSTANT in a.message:
        return None
    if STOPPED in a.message:
        return (
            f"Stop training around step {s} (or regularise): {a.metric} stopped improving there while training went on."
        )
    if NEVER in a.message:
        return (
            f"Check the validation data and pipeline (preprocessing, labels, which split it reads): {a.metric} "
            f"never improved from step {s} while training did."
        )
    if a.severity != "info":
        return f"Check that the weights update (optimizer step, frozen layers): {a.metric} barely moved from step {s}."
    return f"Training could stop around step {s}: {a.metric} improved under 1% after it."


DETECTOR = Detector(
    kind="plateau",
    priority=50,
    applies_to=(Role.LOSS, Role.VAL_LOSS, Role.VAL_ACCURACY),
    thresholds=THRESHOLDS,
    needs="the objective with min_points points; 4 validation points and a training loss for 'never improved'",
    find=find,
    advise=advise,
)
