"""lr_issue: problems whose evidence points at the learning rate.

Four patterns, each tied to what the other detectors found:
- a one- or two-point jump of the lr that came straight back (a transient: a scheduler or optimizer-state bug),
  with what it broke; blow-ups right after it are its doing, not a sign that the schedule's lr is too high;
- a blow-up (divergence, NaN, grad explosion, big spike) that starts while the lr warms up or soon after its peak
  (within `lr_window` of the run), or soon after the lr jumps up (restart);
- a loss that stalled early: the lr may be too low for the loss to move (info: a bug stalls a loss too);
- an lr that reaches zero with a fifth or more of the run left (a scheduler sized for fewer steps).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from runwise.domain.analysis.advice import TOO_HIGH, lr_fix
from runwise.domain.analysis.detectors.common import fmt, step, steps_word
from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import Threshold, Thresholds
from runwise.domain.analysis.windows import finite_points
from runwise.domain.anomaly import SEVERITY_RANK, Anomaly, Severity
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

BLOW_UPS = ("nan_inf", "divergence", "gradient_explosion", "loss_spike")
_WHAT = {
    "nan_inf": "went NaN/Inf",
    "divergence": "diverged",
    "gradient_explosion": "exploded",
    "loss_spike": "spiked",
}
THRESHOLDS = (
    Threshold("lr_window", 0.05, "a blow-up within this fraction of the run after the lr peak coincides with it"),
)
TRANSIENT = "a scheduler or optimizer-state bug, not the schedule"
_ZERO_FRACTION = 1e-6  # an lr at or below this fraction of its peak is effectively zero
_ZERO_REMAINING = 0.2


def _lr_at(lr: MetricSeries, at: int) -> float | None:
    steps, values = finite_points(lr)
    i = int(np.searchsorted(steps, at, side="right")) - 1
    return float(values[i]) if i >= 0 else None


def _after_transient(info: LrAnalysis, a: Anomaly, reach: float) -> bool:
    return any(t.step <= a.start_step <= t.step + reach for t in info.transients)


def _transient(info: LrAnalysis, found: Sequence[Anomaly], watched: Sequence[str], reach: float) -> Anomaly | None:
    """The largest transient jump, and the blow-ups that followed it."""
    if not info.transients:
        return None
    t = max(info.transients, key=lambda t: t.factor)
    hit = sorted(
        {a.metric for a in found if a.kind in BLOW_UPS and a.metric in watched and a.severity != "info"
         and t.step <= a.start_step <= t.step + reach}
    )  # fmt: skip
    span = "1 step" if t.points == 1 else f"{t.points} steps"
    effect = f"; {', '.join(hit[:2])} blew up right after" if hit else ""
    return Anomaly(
        kind="lr_issue",
        metric=info.key,
        start_step=t.step,
        end_step=t.step,
        peak_step=t.step,
        severity="warning" if hit or t.factor >= 10 else "info",
        message=(
            f"{info.key} jumped {t.factor:.3g}× for {span} at step {step(t.step)} ({fmt(t.lr_before, Role.LR)} → "
            f"{fmt(t.lr_peak, Role.LR)} → {fmt(t.lr_after, Role.LR)}){effect}: {TRANSIENT}"
        ),
        value=t.lr_peak,
    )


def _blow_up(
    lr: MetricSeries, info: LrAnalysis, found: Sequence[Anomaly], watched: Sequence[str], window: float
) -> Anomaly | None:
    if info.peak_step is None:
        return None
    candidates = [
        a
        for a in found
        if a.kind in BLOW_UPS and a.metric in watched and a.severity != "info" and not _after_transient(info, a, window)
    ]
    rises = [c.step for c in info.changes if c.kind == "rise"]
    for a in sorted(candidates, key=lambda a: (a.start_step, -SEVERITY_RANK[a.severity])):
        when = ""
        if info.has_warmup and info.initial_step is not None and info.initial_step <= a.start_step <= info.peak_step:
            now = _lr_at(lr, a.start_step)
            share = f" ({now / info.peak:.0%} of the peak {fmt(info.peak, Role.LR)})" if now and info.peak else ""
            when = f"while the lr was still warming up{share}"
        elif info.has_warmup and info.peak_step < a.start_step <= info.peak_step + window and info.shape != "cyclic":
            when = (
                f"{steps_word(a.start_step - info.peak_step)} after the lr peaked at {fmt(info.peak, Role.LR)} "
                f"(step {step(info.peak_step)})"
            )
        else:
            after = [r for r in rises if r <= a.start_step <= r + window]
            if after and a.start_step == after[-1]:
                when = f"as the lr jumped up at step {step(after[-1])}"
            elif after:
                when = f"{steps_word(a.start_step - after[-1])} after the lr jumped up at step {step(after[-1])}"
        if not when:
            continue
        severity: Severity = "critical" if a.severity == "critical" else "warning"
        return Anomaly(
            kind="lr_issue",
            metric=info.key,
            start_step=a.start_step,
            end_step=a.end_step,
            peak_step=info.peak_step,
            severity=severity,
            message=f"{a.metric} {_WHAT[a.kind]} at step {step(a.start_step)}, {when}: {TOO_HIGH}",
            value=info.peak,
        )
    return None


def _too_low(info: LrAnalysis, found: Sequence[Anomaly], loss_key: str | None) -> Anomaly | None:
    stalled = [a for a in found if a.kind == "plateau" and a.metric == loss_key and a.severity != "info"]
    if not stalled or info.peak_step is None or info.initial_step is None or info.final_step is None:
        return None
    return Anomaly(
        kind="lr_issue",
        metric=info.key,
        start_step=info.initial_step,
        end_step=info.final_step,
        peak_step=info.peak_step,
        severity="info",
        message=(
            f"{loss_key} barely moved with the lr at most {fmt(info.peak, Role.LR)} "
            f"(step {step(info.peak_step)}): the lr may be too low"
        ),
        value=info.peak,
    )


def _zero_early(lr: MetricSeries, info: LrAnalysis, run_end: int) -> Anomaly | None:
    steps, values = finite_points(lr)
    if values.size < 3 or info.peak <= 0 or info.peak_step is None:
        return None
    live = np.flatnonzero(values > _ZERO_FRACTION * info.peak)
    if live.size == 0 or live[-1] == values.size - 1:
        return None
    zero_i = int(live[-1]) + 1
    span = float(max(run_end, int(steps[-1])) - steps[0])
    left = (max(run_end, int(steps[-1])) - int(steps[zero_i])) / span if span > 0 else 0.0
    if left < _ZERO_REMAINING:
        return None
    return Anomaly(
        kind="lr_issue",
        metric=info.key,
        start_step=int(steps[zero_i]),
        end_step=int(steps[-1]),
        peak_step=info.peak_step,
        severity="warning",
        message=(
            f"{info.key} reached 0 at step {step(steps[zero_i])} with {left:.0%} of the run left: "
            "the schedule seems sized for fewer steps"
        ),
        value=float(values[zero_i]),
    )


def detect_lr_issues(
    lr: MetricSeries,
    info: LrAnalysis,
    found: Sequence[Anomaly],
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    loss_key: str | None = None,
    watched: Sequence[str] = (),
    run_start: int | None = None,
    run_end: int | None = None,
) -> list[Anomaly]:
    """lr_issue anomalies from the lr series, its analysis and the anomalies already found in `watched` metrics."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, _ = finite_points(lr)
    if steps.size == 0:
        return []
    start = int(steps[0]) if run_start is None else min(run_start, int(steps[0]))
    end = int(steps[-1]) if run_end is None else max(run_end, int(steps[-1]))
    window = th.lr_window * max(end - start, 1)
    spacing = float(median(np.diff(steps))) if steps.size > 1 else 1.0
    reach = max(window, 3 * spacing)  # on an epoch-level log the next points are epochs away
    out = [
        _transient(info, found, watched, reach),
        _blow_up(lr, info, found, watched, reach),
        _too_low(info, found, loss_key),
        _zero_early(lr, info, end),
    ]
    return [a for a in out if a is not None]


def find(scope: Scope) -> list[Anomaly]:
    """Relates the lr schedule to what the series detectors found (runs after them)."""
    keys = scope.keys
    if scope.lr is None or keys.lr is None:
        return []
    watched = [k for k in (scope.objective, keys.val_loss, *keys.grad_norms) if k]
    start, end = scope.span
    return detect_lr_issues(
        scope.series[keys.lr], scope.lr, scope.found, scope.schema, loss_key=scope.objective, watched=watched,
        run_start=start, run_end=end,
    )  # fmt: skip


def advise(a: Anomaly, c: Advice) -> str | None:
    s = step(a.start_step)
    if TRANSIENT in a.message:
        return (
            f"Check the lr scheduler and optimizer state at step {s}: {a.metric} jumped for a moment, then came back."
        )
    if TOO_HIGH in a.message:
        return f"{lr_fix(c.lr)}: the blow-up at step {s} followed the lr schedule."
    if "reached 0" in a.message:
        return f"Check the scheduler's total steps: {a.metric} reached 0 at step {s}, long before the end."
    if "too low" in a.message and a.value is not None:
        return f"Raise the lr (at most {fmt(a.value, Role.LR)} from step {s}): the loss barely moved."
    return None


DETECTOR = Detector(
    kind="lr_issue",
    priority=30,
    applies_to=(Role.LR,),
    thresholds=THRESHOLDS,
    needs="a logged lr (3+ points); relates it to the other findings",
    find=find,
    advise=advise,
    stage=1,
)
