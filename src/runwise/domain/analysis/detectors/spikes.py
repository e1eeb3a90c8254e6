"""loss_spike: short excursions far above the local level that recover.

A point is a spike when it is far above the median of the block before it both in robust z (MAD units, so noisy
losses need big excursions; and `spike_tail_factor` times the series' own largest ordinary excursions, so
heavy-tailed batch noise does not fire) and relative to the level itself (so smooth losses do not fire on tiny wiggles).
The baseline is trailing: a loss that starts high and falls fast never looks like a spike of its first points.
Consecutive outliers are one episode. A rise that never comes back is divergence, not a spike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from runwise.domain.analysis.detectors.common import cap, fmt, step, times
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import block_mads, block_medians, block_size, finite_points, per_point, runs
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

THRESHOLDS = (
    MIN_POINTS,
    Threshold("spike_z", 6.0, "robust z-score (vs. the previous block's median/MAD) a loss point needs to be a spike"),
    Threshold(
        "spike_tail_factor", 3.0, "and this multiple of the z of the series' own top 0.1% (at least 5th largest)"
    ),
    Threshold("spike_min_rise", 0.25, "and a rise of at least this fraction of the local level (info)"),
    Threshold(
        "spike_warn_rise",
        1.0,
        "a spike this far above the local level (doubling) is a warning; half of it, if 3+ points",
    ),
    Threshold(
        "spike_extreme_rise", 9.0,
        "a one-point spike of a per-batch training loss is a warning only this far above its level (10×), unless it "
        "lasts 3+ points or validation was hurt at the same time",
    ),
    Threshold("burst_rise", 1.0, "on short series (under min_points): a point this far above the level before it"),
    Threshold("burst_warn_rise", 4.0, "a short-series burst this far above its level (5×) that recovered is a warning"),
)  # fmt: skip
SHORT_SERIES = 80  # validation series this short (epoch-level) are also judged point by point for bursts
_MAX_REPORTED_WHEN_FREQUENT = 3
_EXCURSION_Z = 2.0


def spike_scores(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per point: the previous block's median, the rise above it in MAD units and relative to the scale, the scale.

    The scale is the level itself, but at least a fifth of the range the loss covered: a loss heading to zero has a
    tiny level, and a rise that is large against it can be invisible against the progress made.
    """
    n = values.size
    med = block_medians(values, size)
    spread = 1.4826 * block_mads(values, size, med)
    # a short block can look quiet by chance: its noise is at least half the run's typical block noise
    spread = np.maximum(spread, 0.5 * float(median(spread)))
    base = per_point(np.concatenate([[np.nan], med[:-1]]), size, n)
    sigma = per_point(np.concatenate([[np.nan], spread[:-1]]), size, n)
    scale = np.maximum(np.abs(base), 0.2 * float(np.ptp(med)))
    dev = values - base
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, dev / sigma, np.where(dev > 0, np.inf, 0.0))
        rel = np.where(scale > 0, dev / scale, np.where(dev > 0, np.inf, 0.0))
    return base, z, rel, scale


def _recovery(x: np.ndarray, end: int, level: float) -> int | None:
    """First index after `end` where the value is back at or below `level` (searched in doubling chunks)."""
    i, chunk = end + 1, 64
    while i < x.size:
        hits = np.flatnonzero(x[i : i + chunk] <= level)
        if hits.size:
            return i + int(hits[0])
        i += chunk
        chunk *= 2
    return None


def tail_z(z: np.ndarray) -> float:
    """The z-score of the series' own largest ordinary excursions: the k-th largest excursion peak, k = max(5, n/1000).

    Batch losses are often heavy-tailed: near zero one misclassified example makes a 6× "spike", and diffusion or
    small-batch losses are roughly log-normal. A real spike must stand out from the series' own extremes, not only
    from the bulk of the noise. Excursions (runs of z ≥ 2) count once each, so a real spike lasting many points
    cannot raise this bar itself, nor can a handful of real spikes: the fifth largest excursion is an ordinary one.
    """
    clean = np.where(np.isnan(z), -np.inf, z)
    above = clean >= _EXCURSION_Z
    starts, _ = runs(above, max_gap=2)
    k = max(5, z.size // 1000)
    if starts.size < k:
        return 0.0
    peaks = np.maximum.reduceat(np.where(above, clean, -np.inf), starts)
    return float(np.partition(peaks, peaks.size - k)[peaks.size - k])


def detect_loss_spikes(
    series: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    role: Role = Role.LOSS,
    higher_is_better: bool = False,
    max_severity: Severity = "warning",
    batch_noise: bool = False,
    damage: Sequence[tuple[int, int]] = (),
) -> list[Anomaly]:
    """Spike episodes of a loss-like metric (drops, for a higher-is-better metric).

    With `batch_noise` (a training loss logged per batch, noisy by nature) a spike is a warning only when it
    persists (3+ points), stands far beyond the series' own noise (10× its level, or 3× the z it needed), or
    coincides with damage on validation (`damage`: step ranges of validation spikes).
    """
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < th.min_points:
        return []
    x = -values if higher_is_better else values
    size = block_size(n, 32, 5, 2048)
    base, z, rel, scale = spike_scores(x, size)
    z_needed = max(th.spike_z, th.spike_tail_factor * tail_z(z[size:]))
    with np.errstate(invalid="ignore"):
        mask = (z >= z_needed) & (rel >= th.spike_min_rise)
    mask[:size] = False
    starts, ends = runs(mask, max_gap=max(2, size // 8))  # flicker around the bar is one episode, not many
    recovered = ends < n - 1  # an excursion still up at the last point is divergence's business
    starts, ends = starts[recovered], ends[recovered]
    if starts.size == 0:
        return []
    peak_rel = np.maximum.reduceat(np.where(mask, rel, -np.inf), starts)
    frequent = starts.size > max(5, min(20, n // 500))
    order = np.argsort(-peak_rel, kind="stable")
    if frequent:
        order = order[:_MAX_REPORTED_WHEN_FREQUENT]
    out: list[Anomaly] = []
    for i in sorted(order.tolist()):
        s, e = int(starts[i]), int(ends[i])
        p = s + int(np.argmax(np.where(mask[s : e + 1], rel[s : e + 1], -np.inf)))
        level = -base[p] if higher_is_better else base[p]
        verb = "dropped" if higher_is_better else "spiked"
        if level > 0 and not higher_is_better:
            size_text = f"{times(values[p] / level)} the level {fmt(level, role)} before it"
        else:
            size_text = f"level before it {fmt(level, role)}"
        lasting = f", {e - s + 1:,} points long" if e > s else ""
        back = _recovery(x, e, float(base[p]) + th.spike_min_rise * float(scale[p]))
        recovered_text = (
            f"back near its level by step {step(steps[back])}"
            if back is not None
            else "and it stayed up: a level shift rather than a spike"
        )
        message = (
            f"{series.key} {verb} to {fmt(values[p], role)} at step {step(steps[p])} ({size_text}){lasting}; "
            f"{recovered_text}"
        )
        if frequent:
            message += f" (largest of {starts.size} spikes: this metric's noise is heavy-tailed)"
        big = rel[p] >= th.spike_warn_rise or (rel[p] >= th.spike_warn_rise / 2 and e - s + 1 >= 3)
        # a level shift (new data, longer sequences) may be by design; a large one is divergence's business
        severity: Severity = "warning" if big and not frequent and back is not None else "info"
        if severity == "warning" and batch_noise:
            lasting_points = e - s + 1 >= 3
            extreme = rel[p] >= th.spike_extreme_rise or z[p] >= 3 * z_needed
            hurt = any(lo <= int(steps[s]) <= hi for lo, hi in damage)
            if not (lasting_points or extreme or hurt):
                severity = "info"
                message += " (batch noise: no lasting damage)"
        out.append(
            Anomaly(
                kind="loss_spike",
                metric=series.key,
                start_step=int(steps[s]),
                end_step=int(steps[e]),
                peak_step=int(steps[p]),
                severity=cap(severity, max_severity),
                message=message,
                value=float(values[p]),
            )
        )
    return out


def detect_bursts(
    series: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    role: Role = Role.VAL_LOSS,
    higher_is_better: bool = False,
    max_severity: Severity = "warning",
) -> list[Anomaly]:
    """Bursts of a short series (see `bursts`)."""
    return [
        a for a, _ in bursts(series, schema, role=role, higher_is_better=higher_is_better, max_severity=max_severity)
    ]


def bursts(
    series: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    role: Role = Role.VAL_LOSS,
    higher_is_better: bool = False,
    max_severity: Severity = "warning",
) -> list[tuple[Anomaly, int]]:
    """Bursts of a short series (epoch-level validation), each with the step it was back by: a point or a few, far above the level of the points
    before (the median of up to three), that came back within twice that level later.

    Point by point, because block statistics need more points than an epoch-level log has. A rise that never
    comes back is divergence's or overfitting's business. For a higher-is-better metric a burst is a drop
    (the level over the value). At least two points before the burst set its level.
    """
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < 4 or not np.all(values > 0):
        return []
    x = 1.0 / values if higher_is_better else values
    out: list[tuple[Anomaly, int]] = []
    i = 2
    while i < n - 1:
        level = float(median(x[max(0, i - 3) : i]))
        if x[i] < (1 + th.burst_rise) * level:
            i += 1
            continue
        e = i
        while e + 1 < n and x[e + 1] >= (1 + th.burst_rise) * level:
            e += 1
        back = np.flatnonzero(x[e + 1 :] <= 2 * level)
        if back.size == 0:
            break  # still up at the end: not a burst
        p = i + int(np.argmax(x[i : e + 1]))
        factor = float(x[p] / level)
        back_step = int(steps[e + 1 + int(back[0])])
        # on a fast-falling curve the points before overstate the level the burst left: the points after it
        # (median of up to three) bound it from the other side
        after = float(median(x[e + 1 : e + 4]))
        beside = float(x[p] / np.sqrt(level * after)) if after > 0 else factor
        severity: Severity = "warning" if max(factor, beside) >= 1 + th.burst_warn_rise else "info"
        shown_level = 1.0 / level if higher_is_better else level
        verb = "dropped" if higher_is_better else "burst"
        message = (
            f"{series.key} {verb} to {fmt(values[p], role)} at step {step(steps[p])} ({times(factor)} "
            f"{'below' if higher_is_better else 'above'} the level {fmt(shown_level, role)} before it); back near "
            f"its level by step {step(back_step)} (judged on {n} points)"
        )
        burst = Anomaly(
            kind="loss_spike",
            metric=series.key,
            start_step=int(steps[i]),
            end_step=int(steps[e]),
            peak_step=int(steps[p]),
            severity=cap(severity, max_severity),
            message=message,
            value=float(values[p]),
        )
        out.append((burst, back_step))
        i = e + 1
    return out


def _judge(
    series: MetricSeries, scope: Scope, role: Role, *, hib: bool = False, max_severity: Severity = "warning"
) -> list[Anomaly]:
    """Bursts for an epoch-level (short) series, block-based spikes for a long one."""
    th = Thresholds.from_schema(scope.schema, THRESHOLDS)
    n = int(np.count_nonzero(np.isfinite(series.values)))
    if n < th.min_points:
        return detect_bursts(series, scope.schema, role=role, higher_is_better=hib, max_severity=max_severity)
    found = detect_loss_spikes(series, scope.schema, role=role, higher_is_better=hib, max_severity=max_severity)
    if n < SHORT_SERIES and role in (Role.VAL_LOSS, Role.VAL_ACCURACY):
        extra = detect_bursts(series, scope.schema, role=role, higher_is_better=hib, max_severity=max_severity)
        found += [b for b in extra if not any(a.start_step <= b.peak_step <= a.end_step for a in found)]
    return found


def _window(a: Anomaly, series: MetricSeries) -> tuple[int, int]:
    """An anomaly's steps, reaching back to the point logged before it (a validation point follows the batches
    that hurt it)."""
    i = int(np.searchsorted(series.steps, a.start_step, side="left"))
    before = int(series.steps[i - 1]) if i > 0 else a.start_step
    return before, a.end_step


def find(scope: Scope) -> list[Anomaly]:
    """Validation first (bursts or spikes), then the objective, then component losses (info only).

    A per-batch training loss is noisy by nature: its spikes are warnings only when they last, are extreme, or
    hurt validation at the same time (validation found here first tells which).
    """
    keys, series = scope.keys, scope.series
    out: list[Anomaly] = []
    objective = scope.objective
    damage: list[tuple[int, int]] = []
    for key, role, hib in ((keys.val_loss, Role.VAL_LOSS, False), (keys.val_metric, Role.VAL_ACCURACY, True)):
        if key is None or key == objective or (hib and keys.val_loss is not None and keys.val_loss != objective):
            continue
        found = _judge(series[key], scope, role, hib=hib)
        damage += [_window(a, series[key]) for a in found if a.severity != "info"]
        out += found
    if objective is not None:
        s, hib = series[objective], scope.objective_higher_is_better
        th = Thresholds.from_schema(scope.schema, THRESHOLDS)
        if int(np.count_nonzero(np.isfinite(s.values))) < th.min_points:
            out += detect_bursts(s, scope.schema, role=scope.role(objective), higher_is_better=hib)
        else:
            batch = scope.role(objective) is Role.LOSS
            out += detect_loss_spikes(
                s, scope.schema, role=scope.role(objective), higher_is_better=hib, batch_noise=batch, damage=damage
            )
    for key in keys.secondary_losses:
        out += _judge(series[key], scope, scope.role(key), max_severity="info")
    return out


def advise(a: Anomaly, c: Advice) -> str | None:
    if a.severity == "info" or any(
        x.kind == "lr_issue" and x.start_step <= a.start_step and a.metric in x.message for x in c.anomalies
    ):
        return None  # an lr jump the lr_issue names (and advises on) caused it: the batches are not to blame
    peaks = sorted({x.peak_step for x in c.anomalies if x.kind == "loss_spike" and x.metric == a.metric})[:3]
    where = ", ".join(step(p) for p in peaks)
    plural = "s" if len(peaks) > 1 else ""
    return f"Inspect the batches at step{plural} {where}: {a.metric} spiked there, then recovered."


DETECTOR = Detector(
    kind="loss_spike",
    priority=80,
    applies_to=(Role.LOSS, Role.VAL_LOSS, Role.VAL_ACCURACY),
    thresholds=THRESHOLDS,
    needs="a loss or validation metric; point by point (bursts) from 4 points when short; component losses: notes",
    find=find,
    advise=advise,
)
