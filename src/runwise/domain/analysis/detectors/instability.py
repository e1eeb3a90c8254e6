"""instability: late-training noise of the loss that is large both for its level and for the progress made.

A high coefficient of variation alone is not enough: a training loss heading to zero has a huge CV and is fine,
and small-batch fine-tuning losses are noisy by nature. The late noise must also be a sizeable fraction of the
total progress (`instability_noise_ratio`), i.e. the loss wanders as much as it improved.
"""

from __future__ import annotations

import numpy as np

from runwise.domain.analysis.detectors.common import fmt, step
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.stability import stability
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import finite_points
from runwise.domain.anomaly import Anomaly
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
)


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
    start = float(np.median(values[:3]))  # the initial level; a tenth of the run is often already far below it
    late = float(np.median(values[late_from:]))
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


def find(scope: Scope) -> list[Anomaly]:
    s = scope.objective_series
    if s is None or scope.objective_higher_is_better:
        return []
    return detect_instability(s, scope.schema, role=scope.role(s.key))


def advise(a: Anomaly, c: Advice) -> str | None:
    return f"Lower the lr or raise the batch size: {a.metric} is erratic from step {step(a.start_step)}."


DETECTOR = Detector(
    kind="instability",
    priority=70,
    applies_to=(Role.LOSS, Role.VAL_LOSS),
    thresholds=THRESHOLDS,
    needs="the objective (a loss) with min_points points",
    find=find,
    advise=advise,
)
