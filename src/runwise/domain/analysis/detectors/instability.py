"""instability: late-training noise of the loss that is large both for its level and for the progress made.

A high coefficient of variation alone is not enough: a training loss heading to zero has a huge CV and is fine,
and small-batch fine-tuning losses are noisy by nature. The late noise must also be a sizeable fraction of the
total progress (`instability_noise_ratio`), i.e. the loss wanders as much as it improved.
"""

from __future__ import annotations

import numpy as np

from runwise.domain.analysis.detectors.common import fmt, step
from runwise.domain.analysis.detectors.spikes import bursts
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.stability import stability
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import finite_points
from runwise.domain.anomaly import Anomaly
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

THRESHOLDS = (
    MIN_POINTS,
    Threshold(
        "instability_cv", 0.30, "late-training coefficient of variation of the loss above which it may be unstable"
    ),
    Threshold(
        "instability_noise_ratio", 0.50, "and late noise (std) at least this fraction of the loss's total progress"
    ),
    Threshold("swing_factor", 1.5, "on short series: a point-to-point move this large (×, up or down) is a swing"),
    Threshold("swing_turns", 2, "and this many changes of direction between such moves make it unstable", integer=True),
)
_SWING_SHARE = 0.25  # at least this share of all point-to-point moves must be swings
SHORT_SERIES = 80  # validation series this short (epoch-level) are judged by their swings


def detect_instability(
    series: MetricSeries, schema: MetricSchema = DEFAULT_SCHEMA, *, role: Role = Role.LOSS
) -> list[Anomaly]:
    """One episode over the late part of the run when the loss there is erratic."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < th.min_points:
        return []
    st = stability(series)
    if st.late_cv is None or st.late_std is None or st.late_start_step is None or st.late_cv < th.instability_cv:
        return []
    late_from = int(np.searchsorted(steps, st.late_start_step))
    start = float(median(values[:3]))  # the initial level; a tenth of the run is often already far below it
    late = float(median(values[late_from:]))
    progress = abs(start - late)
    if st.late_std < th.instability_noise_ratio * progress:
        return []
    late_roll = st.rolling_std[late_from:]
    peak = late_from + int(np.argmax(late_roll)) + st.window - 1 if late_roll.size else n - 1
    return [
        Anomaly(
            kind="instability",
            metric=series.key,
            start_step=int(st.late_start_step),
            end_step=int(steps[-1]),
            peak_step=int(steps[min(peak, n - 1)]),
            severity="warning",
            message=(
                f"{series.key} is erratic late in training: from step {step(st.late_start_step)} its rolling std is "
                f"{fmt(st.late_std, role)} around {fmt(late, role)} (CV {st.late_cv:.2f}), as large as the whole "
                f"progress {fmt(start, role)}→{fmt(late, role)}"
                if progress <= st.late_std
                else f"{series.key} is erratic late in training: from step {step(st.late_start_step)} its rolling std "
                f"is {fmt(st.late_std, role)} around {fmt(late, role)} (CV {st.late_cv:.2f}), "
                f"{st.late_std / progress:.0%} of the progress {fmt(start, role)}→{fmt(late, role)}"
            ),
            value=float(st.late_cv),
        )
    ]


def _without_bursts(series: MetricSeries, schema: MetricSchema, steps: np.ndarray) -> np.ndarray:
    """Indices of the finite points outside bursts (a burst and its way back are one event, not swings)."""
    keep = np.ones(steps.size, dtype=bool)
    for b, until in bursts(series, schema):
        keep &= ~((steps >= b.start_step) & (steps < until))
    return np.flatnonzero(keep)


def _training_erratic(train: MetricSeries, val_steps: np.ndarray) -> bool:
    """Whether the training loss itself went up and down over the same stretch: two or more rises of 10% or more
    between the medians of its points in consecutive validation intervals (medians, so batch noise does not
    count). An lr too high makes both erratic; a small validation set makes only validation swing."""
    steps, values = finite_points(train)
    cuts = np.searchsorted(steps, val_steps, side="right")
    levels = [float(median(values[a:b])) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    rises = sum(1 for a, b in zip(levels[:-1], levels[1:], strict=True) if a > 0 and b >= 1.1 * a)
    return rises >= 2


def detect_swings(
    series: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    role: Role = Role.VAL_LOSS,
    train: MetricSeries | None = None,
) -> list[Anomaly]:
    """Point-to-point swings of a short series (epoch-level validation), relative to its level: moves of
    `swing_factor`× or more that keep changing direction (up, down, up) are instability, where a rolling CV has
    too few points. A steady fall (large moves, one direction) or a single burst is not a swing. Swings of the
    validation loss while `train` falls steadily are a note (a small validation set is noisy), a warning when
    training stopped improving too (an lr too high makes both erratic)."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < 5 or not np.all(values > 0):
        return []
    calm = _without_bursts(series, schema, steps)
    moves = np.diff(np.log(values[calm]))
    big = np.flatnonzero(np.abs(moves) >= np.log(th.swing_factor))
    if big.size < max(3, _SWING_SHARE * moves.size):
        return []  # a few large moves among many calm ones are bursts or noise, not swinging
    signs = np.sign(moves[big])
    turns = int(np.count_nonzero(signs[1:] != signs[:-1]))
    ups = int(np.count_nonzero(signs > 0))
    if turns < th.swing_turns or ups < 2:
        return []
    steps, values = steps[calm], values[calm]
    first_up = int(big[np.flatnonzero(signs > 0)[0]])
    largest = float(np.exp(np.max(np.abs(moves[big]))))
    improving = train is not None and not _training_erratic(train, steps)
    note = f"; {train.key} fell steadily: a small or noisy validation set?" if train is not None and improving else ""
    return [
        Anomaly(
            kind="instability",
            metric=series.key,
            start_step=int(steps[first_up]),
            end_step=int(steps[-1]),
            peak_step=int(steps[int(big[np.argmax(np.abs(moves[big]))]) + 1]),
            severity="info" if improving else "warning",
            message=(
                f"{series.key} swings from point to point from step {step(steps[first_up])}: {big.size} of {n - 1} "
                f"moves of {th.swing_factor:g}× or more, {turns} changes of direction, the largest {largest:.1f}× "
                f"(around {fmt(float(median(values)), role)}; judged on {n} points){note}"
            ),
            value=largest,
        )
    ]


def find(scope: Scope) -> list[Anomaly]:
    """The objective's late noise (long series) or swings (short); the validation loss's swings when short."""
    th = Thresholds.from_schema(scope.schema, THRESHOLDS)
    out: list[Anomaly] = []
    s = scope.objective_series
    if s is not None and not scope.objective_higher_is_better:
        if int(np.count_nonzero(np.isfinite(s.values))) < th.min_points:
            out += detect_swings(s, scope.schema, role=scope.role(s.key))
        else:
            out += detect_instability(s, scope.schema, role=scope.role(s.key))
    val = scope.keys.val_loss
    if val is not None and val != scope.objective:
        v = scope.series[val]
        if int(np.count_nonzero(np.isfinite(v.values))) < SHORT_SERIES:
            train = scope.series[scope.keys.train_loss] if scope.keys.train_loss else None
            out += detect_swings(v, scope.schema, role=Role.VAL_LOSS, train=train)
    return out


def advise(a: Anomaly, c: Advice) -> str | None:
    return f"Lower the lr or raise the batch size: {a.metric} is erratic from step {step(a.start_step)}."


DETECTOR = Detector(
    kind="instability",
    priority=70,
    applies_to=(Role.LOSS, Role.VAL_LOSS),
    thresholds=THRESHOLDS,
    needs="the objective (a loss) with min_points points, or 5+ points of a short loss or validation loss (swings)",
    find=find,
    advise=advise,
)
