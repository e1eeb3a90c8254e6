"""gradient_explosion and gradient_vanishing: a grad norm leaving its own baseline by orders of magnitude.

The baseline is the lowest block median of the few blocks before: recent enough to follow the slow drift of grad
norms over a run, low enough that an explosion spanning several blocks does not lift its own bar. Grad norms at
initialisation are often far above their later level, so the first block is never judged, and a collapse is
measured against the median level of all blocks before it, not the initial peak. A collapse is a problem while
the loss stalls near where it started, or, when it is orders of magnitude deep, when the loss stops improving after
progress but well above zero (dead units, saturation): not the gradual shrinking of a converged run.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from runwise.domain.analysis.advice import clip_to
from runwise.domain.analysis.detectors.common import fmt, step, times
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import block_medians, block_size, finite_points, per_point, runs
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.shared_repr import fields_repr

EXPLOSION_THRESHOLDS = (
    MIN_POINTS,
    Threshold(
        "grad_explosion_factor", 10.0, "grad norm above this multiple of its trailing baseline starts an explosion"
    ),
    Threshold("grad_explosion_critical", 100.0, "a sustained explosion reaching this multiple is critical"),
)
VANISHING_THRESHOLDS = (
    MIN_POINTS,
    Threshold("grad_vanishing_factor", 100.0, "grad norm below its baseline divided by this has collapsed"),
    Threshold(
        "grad_vanishing_after_progress",
        1000.0,
        "a collapse this deep is a problem even after the loss made progress, if the loss then stops improving",
    ),
    Threshold("plateau_min_improvement", 0.01, "relative improvement below which a stretch counts as flat"),
)
_LOOKBACK_BLOCKS = 4
_NEAR_ZERO = 0.98  # a loss that shed this much of its initial level has converged: its gradients may vanish


def _trailing_baseline(med: np.ndarray) -> np.ndarray:
    """Per block: the minimum of the previous `_LOOKBACK_BLOCKS` block medians (NaN for the first block)."""
    k = med.size
    out = np.full(k, np.nan)
    for lag in range(1, _LOOKBACK_BLOCKS + 1):
        if lag < k:
            shifted = np.full(k, np.nan)
            shifted[lag:] = med[:-lag]
            out = np.fmin(out, shifted)
    return out


def detect_gradient_explosion(
    series: MetricSeries, schema: MetricSchema = DEFAULT_SCHEMA, *, loss: MetricSeries | None = None
) -> list[Anomaly]:
    """Episodes where the grad norm exceeds `grad_explosion_factor` × its trailing baseline."""
    th = Thresholds.from_schema(schema, EXPLOSION_THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < th.min_points:
        return []
    size = block_size(n, 32, 5, 2048)
    med = block_medians(np.abs(values), size)
    base = per_point(_trailing_baseline(med), size, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(base > 0, np.abs(values) / base, np.nan)
        high = ratio >= th.grad_explosion_factor
    starts, ends = runs(high, max_gap=2)
    series_ends_bad = bool(series.values.size) and not np.isfinite(series.values[-1])
    loss_ends_bad = loss is not None and bool(loss.values.size) and not np.isfinite(loss.values[-1])
    mags = np.abs(values)
    out: list[Anomaly] = []
    covered = -1
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if s <= covered:
            continue
        frozen = float(base[s])  # the episode is judged against the baseline at its onset, not a lifted one
        e = _extend(mags, e, th.grad_explosion_factor * frozen)
        covered = e
        p = s + int(np.argmax(mags[s : e + 1]))
        peak = float(mags[p]) / frozen
        sustained = e - s + 1 >= 3
        unrecovered = e == n - 1
        broke = unrecovered and (series_ends_bad or loss_ends_bad)
        severity: Severity
        improving = loss is not None and _loss_kept_falling(loss, int(steps[s]), int(steps[e]))
        if broke or (peak >= th.grad_explosion_critical and (sustained or unrecovered)):
            severity = "critical"
        elif (sustained or unrecovered or peak >= th.grad_explosion_critical) and not improving:
            severity = "warning"
        else:
            # one step's gradient far above baseline (a hard batch) that came straight back, or gradients that
            # grew from a tiny start while the loss fell all along: training leaving a flat start, not breaking
            severity = "info"
        if broke:
            tail = "then NaN/Inf"
        elif unrecovered:
            tail = "never came back"
        else:
            tail = f"back under {times(th.grad_explosion_factor)} by step {step(steps[e + 1])}"
        message = (
            f"{series.key} exploded from step {step(steps[s])}: {fmt(values[p], Role.GRAD_NORM)} at step "
            f"{step(steps[p])}, {times(peak)} its baseline {fmt(frozen, Role.GRAD_NORM)}; {tail}"
        )
        if improving and severity == "info" and loss is not None:
            message += f", while {loss.key} kept falling"
        out.append(
            Anomaly(
                kind="gradient_explosion",
                metric=series.key,
                start_step=int(steps[s]),
                end_step=int(steps[e]),
                peak_step=int(steps[p]),
                severity=severity,
                message=message,
                value=float(values[p]),
            )
        )
    return out


def _loss_kept_falling(loss: MetricSeries, first: int, last: int) -> bool:
    """Whether the loss fell clearly from before `first` to `last` without rising on the way (medians of 3 points).

    Gradients that grow while the loss falls steadily are the run leaving a flat start (a classifier at chance,
    a small initialisation), not an explosion that hurts training.
    """
    steps, values = finite_points(loss)
    lo, hi = int(np.searchsorted(steps, first)), int(np.searchsorted(steps, last, side="right"))
    if lo < 3 or hi - lo < 3:
        return False
    before = float(median(values[lo - 3 : lo]))
    during = values[lo:hi]
    smooth = block_medians(during, 3)
    after = float(median(values[max(lo, hi - 3) : hi]))
    if before <= 0:
        return False
    return after <= 0.9 * before and bool(np.all(smooth <= 1.1 * before))


def _extend(mags: np.ndarray, end: int, threshold: float, gap: int = 2) -> int:
    """Last index of the stretch from `end` on that stays above `threshold` (gaps of `gap` points allowed).

    Searched in doubling chunks so each episode costs about its own length, never the rest of the series.
    """
    n = mags.size
    last_high = end
    i, chunk = end + 1, 64
    while i < n:
        part = mags[i : i + chunk] >= threshold
        positions = i + np.flatnonzero(part)
        previous = np.concatenate([[last_high], positions[:-1]])
        broken = np.flatnonzero(positions - previous > gap + 1)
        if broken.size:
            return int(previous[broken[0]])
        if positions.size:
            last_high = int(positions[-1])
        if i + part.size - 1 - last_high > gap:
            return last_high
        i += part.size
        chunk *= 2
    return last_high


@attrs.frozen
class _LossAfter:
    """How the loss behaved around a grad-norm collapse."""

    __repr__ = fields_repr

    level: float  # the loss level just before the collapse
    improving: bool  # still improving after it
    progress: float  # fraction of its initial level the loss had shed before the collapse


def _loss_after(loss: MetricSeries, from_step: int, th: Thresholds) -> _LossAfter | None:
    """The loss level before `from_step`, whether it still improved after it, and the progress made before it."""
    steps, values = finite_points(loss)
    if values.size < 6:
        return None
    cut = int(np.searchsorted(steps, from_step))
    before, after = values[:cut], values[cut:]
    if before.size < 3 or after.size < 3:
        return None
    start = float(median(values[: max(2, values.size // 10)]))
    level = float(median(before[-max(2, before.size // 10) :]))
    end = float(median(after[-max(2, after.size // 5) :]))
    if start == 0 or level == 0:
        return None
    improving = (level - end) / abs(level) > th.plateau_min_improvement * 5
    return _LossAfter(level, improving, (start - level) / abs(start))


def _problem(loss: _LossAfter | None, collapse: float, th: Thresholds) -> str | None:
    """Why a collapse is a problem ('stuck', 'after progress'), or None when it is convergence.

    Converged losses also stop improving with small gradients, but after a large drop and with gradients that
    shrink gradually. A loss whose gradients vanished stalls close to where it started; a collapse by orders of
    magnitude more (`grad_vanishing_after_progress`) while the loss stops well above zero is dead units or
    saturation even after progress.
    """
    if loss is None or loss.improving:
        return None
    if loss.progress <= 0.5:
        return "stuck"
    if collapse >= th.grad_vanishing_after_progress and loss.progress < _NEAR_ZERO:
        return "after progress"
    return None


def detect_gradient_vanishing(
    series: MetricSeries, schema: MetricSchema = DEFAULT_SCHEMA, *, loss: MetricSeries | None = None
) -> list[Anomaly]:
    """A grad norm collapsing below its earlier median level / `grad_vanishing_factor`, while the loss is stuck."""
    th = Thresholds.from_schema(schema, VANISHING_THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < th.min_points:
        return []
    size = block_size(n, 32, 5, 2048)
    med = block_medians(np.abs(values), size)
    if med.size < 4:
        return []
    # median of the blocks before each block (cumulative, via a sort per prefix is quadratic; blocks are few)
    ref = np.array([median(med[:k]) if k else np.nan for k in range(med.size)])
    with np.errstate(divide="ignore", invalid="ignore"):
        low = med * th.grad_vanishing_factor <= ref
    low[:2] = False
    starts, ends = runs(low)
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if e - s + 1 < 2 and e != med.size - 1:
            continue
        first = max(0, (s - 1) * size)  # the collapse may begin in the block before the first low one
        hits = np.flatnonzero(np.abs(values[first : (s + 1) * size]) * th.grad_vanishing_factor <= ref[s])
        onset = first + (int(hits[0]) if hits.size else 0)
        floor = float(med[e])
        collapse = float(ref[s] / floor) if floor > 0 else math.inf
        after = _loss_after(loss, int(steps[onset]), th) if loss is not None else None
        why = _problem(after, collapse, th)
        if loss is not None and why is None:
            continue  # converging: small gradients are expected
        how_far = f"{times(collapse)} below" if floor > 0 else "to 0 from"
        if loss is None or after is None:
            loss_text = " (no loss to tell convergence from a stall)"
        elif why == "after progress":
            loss_text = f" after progress, and {loss.key} stopped improving at {fmt(after.level, Role.LOSS)}"
        else:
            loss_text = f" while {loss.key} stayed near {fmt(after.level, Role.LOSS)}"
        end_i = min(n - 1, (e + 1) * size - 1)
        return [
            Anomaly(
                kind="gradient_vanishing",
                metric=series.key,
                start_step=int(steps[onset]),
                end_step=int(steps[end_i]),
                peak_step=int(steps[min(n - 1, e * size)]),
                severity="warning" if loss is not None else "info",
                message=(
                    f"{series.key} collapsed from step {step(steps[onset])}: {how_far} its earlier level "
                    f"{fmt(ref[s], Role.GRAD_NORM)}{loss_text}"
                ),
                value=float(med[e]),
            )
        ]
    return []


def find_explosions(scope: Scope) -> list[Anomaly]:
    out: list[Anomaly] = []
    for key in scope.keys.grad_norms:
        out += detect_gradient_explosion(scope.series[key], scope.schema, loss=scope.objective_series)
    return out


def find_vanishing(scope: Scope) -> list[Anomaly]:
    out: list[Anomaly] = []
    for key in scope.keys.grad_norms:
        out += detect_gradient_vanishing(scope.series[key], scope.schema, loss=scope.objective_series)
    return out


def advise_explosion(a: Anomaly, c: Advice) -> str | None:
    if a.severity == "info":
        return None
    clip = clip_to(c.run, a.metric, a.start_step)
    return f"Clip gradients{clip}: {a.metric} jumped far above its baseline at step {step(a.start_step)}."


def advise_vanishing(a: Anomaly, c: Advice) -> str | None:
    return (
        f"Check initialisation, normalisation, activations: {a.metric} collapsed at step {step(a.start_step)}, "
        "the loss stalled."
    )


EXPLOSION = Detector(
    kind="gradient_explosion",
    priority=20,
    applies_to=(Role.GRAD_NORM,),
    thresholds=EXPLOSION_THRESHOLDS,
    needs="a grad norm with min_points points",
    find=find_explosions,
    advise=advise_explosion,
)
VANISHING = Detector(
    kind="gradient_vanishing",
    priority=60,
    applies_to=(Role.GRAD_NORM,),
    thresholds=VANISHING_THRESHOLDS,
    needs="a grad norm with min_points points; the loss tells a collapse from convergence",
    find=find_vanishing,
    advise=advise_vanishing,
)
