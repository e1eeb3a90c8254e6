"""divergence: a sustained rise far above the best level reached so far, usually on the way to NaN.

The best level is the running minimum of the medians of earlier twentieths of the run, so a lucky noisy batch
does not set an unreachable bar. A rise counts when the level (medians of short blocks) stays above
best + `divergence_rise` × max(|best|, 10% of the progress made) for `divergence_min_fraction` of the points, or
when the last points before a NaN ending are already that high. The onset is walked back to the last point that
was still below that bar: the step from which the loss stayed far above its best.

The first block has no earlier block to set a bar, so a loss that blows up within its first few points (an lr far
too high from the first step) would be judged against its own blown-up level. Such a run is caught against its
first logged point instead: the loss before training moved, the one point noise cannot have pulled low when the
rest of the run stays far above it, by more than three times its noise, to the end.
"""

from __future__ import annotations

import math

import numpy as np

from runwise.domain.analysis.advice import blow_up
from runwise.domain.analysis.detectors.common import fmt, percent, step
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import block_medians, block_size, diff_noise, finite_points, per_point, runs
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

THRESHOLDS = (
    MIN_POINTS,
    Threshold(
        "divergence_rise",
        0.5,
        "sustained rise above the best level so far, as a fraction of max(|best|, 10% of progress)",
    ),
    Threshold(
        "divergence_min_fraction", 0.02, "a rise must last this fraction of the points (at least 3) unless NaN follows"
    ),
)
_RECOVERED_MIN_FACTOR = 5  # a rise that recovers must last 5× the minimum length to count as divergence


def _sustained(
    x: np.ndarray, best: np.ndarray, scale: np.ndarray, min_len: int, rise_fraction: float
) -> list[tuple[int, int]]:
    """Stretches of at least `min_len` points whose short-block medians sit far above the best level.

    Medians of blocks of a quarter of `min_len` points, so batch noise does not make or break a stretch; the rise
    must also exceed three times the noise of such a median, so a noisy loss needs a rise well beyond its noise.
    """
    n = x.size
    fine = max(1, min_len // 4)
    levels = block_medians(x, fine)
    starts = np.arange(0, n, fine)
    noise = diff_noise(x) * (1.25 / math.sqrt(fine) if fine > 1 else 1.0)
    rise = levels - best[starts]
    with np.errstate(invalid="ignore"):
        high = (rise > 0) & (rise >= rise_fraction * scale[starts]) & (rise >= 3 * noise)
    first, last = runs(high, max_gap=1)
    out = []
    for b0, b1 in zip(first.tolist(), last.tolist(), strict=True):
        s, e = b0 * fine, min(n, (b1 + 1) * fine) - 1
        if e - s + 1 >= min_len:
            out.append((s, e))
    return out


def _into_nan(
    episodes: list[tuple[int, int]], rise: np.ndarray, scale: np.ndarray, rise_fraction: float
) -> list[tuple[int, int]]:
    """The last finite points before a NaN ending, when they are already far above the best: a blow-up."""
    n = rise.size
    with np.errstate(invalid="ignore"):
        calm = np.flatnonzero(rise < rise_fraction * scale)
    tail_start = int(calm[-1]) + 1 if calm.size else 0
    if tail_start >= n:
        return episodes
    if episodes and episodes[-1][1] >= tail_start - 1:
        return [*episodes[:-1], (min(episodes[-1][0], tail_start), n - 1)]
    if episodes and episodes[-1][1] < tail_start:
        merged_end = episodes[-1][1]
        if tail_start - merged_end <= max(3, n // 50):
            return [*episodes[:-1], (episodes[-1][0], n - 1)]
    return [*episodes, (tail_start, n - 1)]


def _above_start(x: np.ndarray, min_len: int, rise_fraction: float) -> int | None:
    """Index from which the series stays far above its first point to the end (None when it comes back).

    Judged on medians of short blocks, like a sustained rise, and by more than three times the noise, so one
    lucky low first batch of a noisy loss does not make the rest of the run look high.
    """
    n = x.size
    start = float(x[0])
    bar = start + rise_fraction * abs(start)
    if start == 0 or n < 2:
        return None
    fine = max(1, min_len // 4)
    rest = x[1:]
    levels = block_medians(rest, fine)
    noise = diff_noise(rest) * (1.25 / math.sqrt(fine) if fine > 1 else 1.0)
    with np.errstate(invalid="ignore"):
        high = (levels >= bar) & (levels - start >= 3 * noise)
    calm = np.flatnonzero(~high)
    first_block = int(calm[-1]) + 1 if calm.size else 0
    onset = 1 + first_block * fine
    if n - onset < min_len:
        return None
    while onset > 1 and x[onset - 1] >= bar:  # walk back over the points of a calm block that were already high
        onset -= 1
    return onset if n - onset >= min_len else None


def _short(
    series: MetricSeries,
    steps: np.ndarray,
    values: np.ndarray,
    th: Thresholds,
    *,
    role: Role,
    higher_is_better: bool,
) -> list[Anomaly]:
    """A short series (epoch-level) that rose above its best for good: every point from the onset on is at
    least (1 + divergence_rise) × the best before it, over 2+ points, to the end. Point by point, as blocks need
    more points; critical when the last point is 10× the best or the series ends in NaN/Inf."""
    n = values.size
    if n < 4 or higher_is_better or not np.all(values > 0):
        return []
    best = np.minimum.accumulate(values)
    high = values >= (1 + th.divergence_rise) * np.concatenate([[np.inf], best[:-1]])
    calm = np.flatnonzero(~high)
    onset = int(calm[-1]) + 1 if calm.size else 1
    if onset > n - 2:
        return []
    before = float(best[onset - 1])
    last = float(values[-1])
    ends_nonfinite = not np.isfinite(series.values[-1])
    severity: Severity = "critical" if last >= 10 * before or ends_nonfinite else "warning"
    tail = "then NaN/Inf" if ends_nonfinite else "never recovered"
    p = onset + int(np.argmax(values[onset:]))
    return [
        Anomaly(
            kind="divergence",
            metric=series.key,
            start_step=int(steps[onset]),
            end_step=int(series.steps[-1]),
            peak_step=int(steps[p]),
            severity=severity,
            message=(
                f"{series.key} diverged from step {step(steps[onset])}: rose from its best {fmt(before, role)} to "
                f"{fmt(values[p], role)} ({percent((values[p] - before) / before)}) by step {step(steps[p])}, {tail} "
                f"(judged on {n} points)"
            ),
            value=float(values[p]),
        )
    ]


def detect_divergence(
    series: MetricSeries,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    role: Role = Role.LOSS,
    higher_is_better: bool = False,
) -> list[Anomaly]:
    """Divergence episodes of an objective that should improve (rises for a loss, falls for accuracy)."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < th.min_points:
        return _short(series, steps, values, th, role=role, higher_is_better=higher_is_better)
    ends_nonfinite = bool(series.values.size) and not np.isfinite(series.values[-1])
    x = -values if higher_is_better else values
    coarse = block_size(n, 20, 3, n)
    med = block_medians(x, coarse)
    start = float(median(x[:3]))  # the initial level: the first block is often already far below it
    # the best level of the blocks before: a block's own median would include points after the one judged
    best = per_point(np.concatenate([[np.nan], np.minimum.accumulate(med)[:-1]]), coarse, n)
    with np.errstate(invalid="ignore"):
        progress = np.maximum(start - best, 0.0)
    # guards a best level of exactly 0; tied to the start, since a blow-up to 1e200 must not set the scale
    floor = 1e-9 * abs(start)
    scale = np.maximum(np.maximum(np.abs(best), 0.1 * progress), floor)
    rise = x - best
    min_len = max(3, math.ceil(th.divergence_min_fraction * n))
    episodes = _sustained(x, best, scale, min_len, th.divergence_rise)
    if ends_nonfinite:
        episodes = _into_nan(episodes, rise, scale, th.divergence_rise)
    from_start = None if higher_is_better else _above_start(x, min_len, th.divergence_rise)
    if from_start is not None and (not episodes or from_start < episodes[0][0]):
        # one blow-up from the first points to the end: the later episodes are part of it
        return [_from_start(series, steps, values, from_start, role=role, into_nan=ends_nonfinite)]
    out: list[Anomaly] = []
    for s, e in episodes:
        into_nan = e == n - 1 and ends_nonfinite
        if e < n - 1 and e - s + 1 < _RECOVERED_MIN_FACTOR * min_len:
            continue  # a short excursion that came back is a spike (or a bump), not a divergence
        with np.errstate(invalid="ignore"):
            above = rise[: e + 1] >= th.divergence_rise * scale[: e + 1]
        first_high = s + int(np.argmax(above[s:])) if above[s:].any() else s
        calm = np.flatnonzero(~above[:first_high])
        onset = int(calm[-1]) + 1 if calm.size else first_high
        p = s + int(np.argmax(x[s : e + 1]))
        best_before = float(-best[s] if higher_is_better else best[s])
        recovered = e < n - 1
        severity: Severity
        if into_nan:
            tail, severity = "then NaN/Inf", "critical"
        elif recovered:
            tail, severity = f"back down by step {step(steps[e + 1])}", "warning"
        else:
            tail, severity = "never recovered", "critical"
        change = (values[p] - best_before) / abs(best_before) if best_before else None
        amount = f" ({percent(change)})" if change is not None else ""
        verb = "fell" if higher_is_better else "rose"
        # the bar is a running best of block medians: called "smoothed" unless a logged point reached it
        raw_best = float(np.min(x[: max(s, 1)]))
        raw_best = -raw_best if higher_is_better else raw_best
        best_word = "best" if fmt(raw_best, role) == fmt(best_before, role) else "smoothed best"
        message = (
            f"{series.key} diverged from step {step(steps[onset])}: {verb} from its {best_word} "
            f"{fmt(best_before, role)} "
            f"to {fmt(values[p], role)}{amount} by step {step(steps[p])}, {tail}"
        )
        out.append(
            Anomaly(
                kind="divergence",
                metric=series.key,
                start_step=int(steps[onset]),
                end_step=int(series.steps[-1]) if into_nan else int(steps[e]),
                peak_step=int(steps[p]),
                severity=severity,
                message=message,
                value=float(values[p]),
            )
        )
    return out


def _from_start(
    series: MetricSeries, steps: np.ndarray, values: np.ndarray, onset: int, *, role: Role, into_nan: bool
) -> Anomaly:
    """The divergence of a loss that rose far above its first point within the first block and never came back."""
    first = float(values[0])
    p = onset + int(np.argmax(values[onset:]))
    level = float(median(values[onset:]))
    return Anomaly(
        kind="divergence",
        metric=series.key,
        start_step=int(steps[onset]),
        end_step=int(series.steps[-1]),
        peak_step=int(steps[p]),
        severity="critical",
        message=(
            f"{series.key} diverged from step {step(steps[onset])}: rose from its first value {fmt(first, role)} to "
            f"~{fmt(level, role)} ({percent((level - first) / abs(first))}, peak {fmt(values[p], role)} at step "
            f"{step(steps[p])}), {'then NaN/Inf' if into_nan else 'never recovered'}"
        ),
        value=float(values[p]),
    )


def find(scope: Scope) -> list[Anomaly]:
    s = scope.objective_series
    if s is None:
        return []
    hib = scope.objective_higher_is_better
    return detect_divergence(s, scope.schema, role=scope.role(s.key), higher_is_better=hib)


def advise(a: Anomaly, c: Advice) -> str | None:
    if a.severity == "info" or a.metric not in (c.keys.train_loss, c.keys.val_loss):
        return None
    return blow_up(a, c.run, c.lr, c.anomalies)


DETECTOR = Detector(
    kind="divergence",
    priority=10,
    applies_to=(Role.LOSS, Role.VAL_LOSS),
    thresholds=THRESHOLDS,
    needs="the objective (training loss, else validation loss); point by point from 4 points when short",
    find=find,
    advise=advise,
)
