"""overfitting: the validation metric's best step, then sustained worsening while the training loss improves.

The best checkpoint is the raw best validation point (what a user would restore). "Sustained" means the median
of the last tenth of the validation points is still clearly worse than the level around the best (the median of
the best point and its neighbours, as the raw minimum of a noisy curve is biased low): by `overfit_rise` of the
best (losses) or of the progress made (accuracy-like metrics), and by more than twice the validation's point-to-point noise (three times when the training loss barely fell meanwhile).
Without a training loss to confirm, the rise is reported as info only: it could as well be divergence.
"""

from __future__ import annotations

import math

import numpy as np

from runwise.domain.analysis.detectors.common import fmt, percent, step
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import Threshold, Thresholds
from runwise.domain.analysis.windows import diff_noise, end_level, finite_points, median_between
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

THRESHOLDS = (
    Threshold(
        "overfit_min_points",
        8,
        "validation points for the usual test; from 4 points a rise of overfit_few_rise is needed",
        minimum=4,
        integer=True,
    ),
    Threshold("overfit_few_rise", 0.30, "on fewer than overfit_min_points validation points: the rise needed"),
    Threshold(
        "overfit_rise", 0.05, "validation worsening after its best, as a fraction of the best (losses) or of progress"
    ),
    Threshold("overfit_warn_rise", 0.10, "validation worsening at which overfitting is a warning"),
)


_FEWEST = 4  # validation points below which nothing is said about overfitting
_IMPROVED = 0.05  # a validation curve that never got this much better than its first point never improved
# the rise must exceed this many times the point-to-point noise: the end level and the level around the best are
# medians of about three points each, so this is about 2.5 standard deviations of their difference
_NOISE_MULTIPLE = 2.0
_NOISE_MULTIPLE_ALONE = 3.0  # when training barely improved meanwhile (under _TRAIN_CONFIRMS), noise is likelier
_TRAIN_CONFIRMS = 0.2


def improvement(x: np.ndarray) -> float:
    """How much a lower-is-better curve ever improved on its first point, relative to it (0 if never)."""
    if x.size < 2:
        return 0.0
    scale = max(abs(float(x[0])), float(np.max(np.abs(x))) if x[0] == 0 else 0.0)  # an accuracy starting at 0
    return max(0.0, float(x[0] - np.min(x[1:])) / scale) if scale > 0 else 0.0


def _train_levels(train: MetricSeries, vsteps: np.ndarray, best_i: int, tail: int) -> tuple[float, float] | None:
    """Training loss around the validation best and over the validation's final stretch.

    When validation runs to the end of training, the final level is the training loss's end level, the figure
    the headline quotes, so one run does not show two "final" training losses.
    """
    ts, tv = finite_points(train)
    if tv.size < 3:
        return None
    span = float(vsteps[-1] - vsteps[0])
    spacing = float(median(np.diff(vsteps))) if vsteps.size > 1 else 0.0
    half = max(0.02 * span, spacing / 2)
    at_best = median_between(ts, tv, vsteps[best_i] - half, vsteps[best_i] + half)
    if vsteps[-1] + half >= ts[-1]:
        at_end: float | None = end_level(tv)
    else:
        at_end = median_between(ts, tv, vsteps[-tail] - half, vsteps[-1] + half)
    if at_best is None or at_end is None:
        return None
    return at_best, at_end


def detect_overfitting(
    val: MetricSeries,
    train: MetricSeries | None = None,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    val_role: Role = Role.VAL_LOSS,
    higher_is_better: bool = False,
) -> list[Anomaly]:
    """At most one overfitting episode: from the validation best to the end of the run."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    vsteps, vvalues = finite_points(val)
    nv = vvalues.size
    if nv < _FEWEST:
        return []
    few = nv < th.overfit_min_points
    x = -vvalues if higher_is_better else vvalues
    best_i = int(np.argmin(x))
    if improvement(x) < _IMPROVED:
        return []  # it never improved: the plateau detector's "never improved while training did"
    after = nv - best_i - 1
    if after < (2 if few else max(3, math.ceil(0.1 * nv))):
        return []
    tail = min(2, after) if few else min(max(3, nv // 10), after)
    end_level = float(median(x[-tail:]))
    if few:
        # too few points for a median around the best or a noise estimate: the rise must be large and held
        best = float(x[best_i])
        needed = th.overfit_few_rise
    else:
        # significance is judged on the median around the best, not the raw minimum, which noise biases low
        best = float(median(x[max(0, best_i - 1) : best_i + 2]))
        needed = th.overfit_rise
    progress = max(float(x[0]) - best, 0.0)
    scale = progress if higher_is_better else max(abs(best), 0.1 * progress)
    if scale <= 0:
        return []
    rise = end_level - best
    if rise <= 0 or rise < needed * scale:
        return []
    if few and float(x[-1]) - best < 0.5 * needed * scale:
        return []  # came back down at the last point
    levels = _train_levels(train, vsteps, best_i, tail) if train is not None else None
    # a training loss that fell a lot since the best is strong evidence: the rise need clear the noise less far
    confirmed = levels is not None and levels[1] <= (1 - _TRAIN_CONFIRMS) * levels[0]
    if not few and rise <= (_NOISE_MULTIPLE if confirmed else _NOISE_MULTIPLE_ALONE) * diff_noise(x):
        return []
    if levels is not None and levels[1] > levels[0]:
        return []  # training got worse too: not overfitting
    worst_i = best_i + 1 + int(np.argmax(x[best_i + 1 :]))
    best_value, end_value = float(vvalues[best_i]), (-end_level if higher_is_better else end_level)
    verb = "fell" if higher_is_better else "rose"
    change = f" ({percent((end_value - best_value) / abs(best_value))})" if best_value else ""
    # the end figure is a median of the last points: marked "~" unless it is the last logged value
    end_text = fmt(end_value, val_role)
    end_text = end_text if end_text == fmt(vvalues[-1], val_role) else f"~{end_text}"
    message = (
        f"{val.key} best {fmt(best_value, val_role)} at step {step(vsteps[best_i])}, then {verb} to "
        f"{end_text}{change} by step {step(vsteps[-1])}"
    )
    severity: Severity = "info"
    if train is not None and levels is not None:
        message += f" while {train.key} kept falling (smoothed {fmt(levels[0], Role.LOSS)}→{fmt(levels[1], Role.LOSS)})"
        if not higher_is_better:
            gap_best, gap_end = best_value - levels[0], end_value - levels[1]
            message += f"; gap {fmt(gap_best, Role.LOSS)}→{fmt(gap_end, Role.LOSS)}"
        if rise >= th.overfit_warn_rise * scale:
            severity = "warning"
        if few:
            message += f" (judged on {nv} validation points)"
    else:
        message += " (no training loss to confirm)"
    return [
        Anomaly(
            kind="overfitting",
            metric=val.key,
            start_step=int(vsteps[best_i]),
            end_step=int(vsteps[-1]),
            peak_step=int(vsteps[worst_i]),
            severity=severity,
            message=message,
            value=float(vvalues[-1]),
        )
    ]


def find(scope: Scope) -> list[Anomaly]:
    """The validation loss (else the validation metric) against the training loss."""
    keys = scope.keys
    validation = keys.val_loss or keys.val_metric
    if validation is None or keys.train_loss is None:
        return []
    return detect_overfitting(
        scope.series[validation],
        scope.series[keys.train_loss],
        scope.schema,
        val_role=scope.role(validation),
        higher_is_better=keys.val_loss is None,
    )


def advise(a: Anomaly, c: Advice) -> str | None:
    return (
        f"Keep the checkpoint from step {step(a.start_step)} (best {a.metric}); stop earlier or add regularisation/data, "
        f"since {a.metric} worsened after it."
    )


DETECTOR = Detector(
    kind="overfitting",
    priority=40,
    applies_to=(Role.VAL_LOSS, Role.VAL_ACCURACY),
    thresholds=THRESHOLDS,
    needs="a training loss to confirm (else a note); 4+ validation points, a large rise below overfit_min_points",
    find=find,
    advise=advise,
)
