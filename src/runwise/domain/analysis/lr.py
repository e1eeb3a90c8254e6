"""Learning-rate analysis: the schedule's shape, its peak and final values, and how the loss responds to changes.

Shapes are told apart by what each leaves in the series, in step space so logging density does not matter:
constant (range under 1% of the peak), warmup (starts below 90% of the peak and climbs to it), step (the decay
happens in a few drops with flat stretches between), linear / cosine / exponential (best fit of the normalised
decay curve), cyclic (the lr turns from falling to rising more than once: triangular, one-cycle repeats, warm
restarts). Combinations read "warmup+cosine", and a long flat top before the decay "warmup+constant+linear".
"irregular": the lr rose to its peak after falling (a jump mid-run), which no schedule does on purpose.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.analysis.windows import FloatArray, IntArray, finite_points
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role
from runwise.domain.shared_repr import fields_repr

_FIT_TOLERANCE = 0.08  # RMS error of the normalised decay curve for a named shape
_STABLE_FRACTION = 0.1  # a flat top this long before the decay is named ("constant")
_MAX_EVENTS = 5
_FIT_POINTS = 4096
_TRANSIENT_FACTOR = 3.0  # a point this many times above the points on both sides of it is a transient jump
_MAX_TRANSIENTS = 3  # more such jumps than this are the schedule's own pattern (e.g. an epoch-level cycle)


@attrs.frozen
class LrTransient:
    """A one- or two-point jump of the lr that came straight back: a scheduler or optimizer-state bug, not a
    schedule. The shape is read without it."""

    __repr__ = fields_repr

    step: int
    points: int
    lr_before: float
    lr_peak: float
    lr_after: float

    @property
    def factor(self) -> float:
        return self.lr_peak / self.lr_before if self.lr_before > 0 else math.inf


@attrs.frozen
class LrChange:
    """One change of the lr and the loss level just before and just after it."""

    __repr__ = fields_repr

    step: int
    kind: str  # "warmup_end", "drop", "rise", "decay_start"
    lr_before: float
    lr_after: float
    loss_before: float | None = None
    loss_after: float | None = None

    @property
    def loss_change(self) -> float | None:
        """Relative change of the loss level across the lr change (negative: the loss fell)."""
        if self.loss_before is None or self.loss_after is None or self.loss_before == 0:
            return None
        return (self.loss_after - self.loss_before) / abs(self.loss_before)


@attrs.frozen
class LrAnalysis:
    """The schedule of one lr series, and the loss's response to its changes."""

    __repr__ = fields_repr

    key: str
    shape: str  # constant, warmup, cosine, linear, exponential, step, cyclic, decay, irregular, unknown, or "a+b"
    initial: float
    initial_step: int | None
    peak: float
    peak_step: int | None
    final: float
    final_step: int | None
    warmup_end_step: int | None = None
    decay_start_step: int | None = None
    changes: tuple[LrChange, ...] = ()
    loss_key: str | None = None
    response: str = ""
    transients: tuple[LrTransient, ...] = ()

    @property
    def has_warmup(self) -> bool:
        return self.shape.startswith("warmup")

    def describe(self) -> str:
        """One line: shape, peak and final lr with steps, and the loss response when known."""
        if self.peak_step is None:
            return f"{self.key}: no finite values"
        lr = Role.LR
        text = (
            f"{self.key} {self.shape}: peak {format_value(self.peak, lr)} at step {format_step(self.peak_step)}, "
            f"final {format_value(self.final, lr)} at step {format_step(self.final_step)}"
        )
        if self.transients:
            t = self.transients[0]
            text += f"; jumped {t.factor:.3g}× for {t.points} point{'s' if t.points > 1 else ''} at step {format_step(t.step)}"
        return f"{text}; {self.response}" if self.response else text


def _sign_changes(values: FloatArray, tolerance: float) -> int:
    """How often a curve turns between rising and falling, ignoring moves under `tolerance`, on ≤512 block means."""
    n = values.size
    size = max(1, math.ceil(n / 512))
    full = (n // size) * size
    means = values[:full].reshape(-1, size).mean(axis=1) if full else values
    d = np.diff(means)
    signs = np.sign(d[np.abs(d) > tolerance])
    return int(np.count_nonzero(signs[1:] != signs[:-1])) if signs.size > 1 else 0


def _decay_kind(steps: IntArray, lr: FloatArray, peak: float) -> str:
    d = np.diff(lr)
    if d.size >= 3:
        with np.errstate(divide="ignore", invalid="ignore"):
            drops = d < -0.05 * np.abs(lr[:-1])
        flat = np.abs(d) <= 1e-6 * peak
        if drops.any() and flat.sum() >= 0.5 * d.size and (flat | drops).sum() >= 0.9 * d.size:
            return "step"
    span = float(steps[-1] - steps[0])
    height = float(lr[0] - lr[-1])
    if span <= 0 or height <= 0 or lr.size < 4:
        return "decay"
    if lr.size > _FIT_POINTS:  # the shape of a smooth curve does not need a million points
        keep = np.linspace(0, lr.size - 1, _FIT_POINTS).astype(np.int64)
        steps, lr = steps[keep], lr[keep]
    t = (steps - steps[0]) / span
    y = (lr - lr[-1]) / height
    errors = {
        "linear": float(np.sqrt(np.mean((y - (1 - t)) ** 2))),
        "cosine": float(np.sqrt(np.mean((y - 0.5 * (1 + np.cos(np.pi * t))) ** 2))),
    }
    if lr[-1] > 0 and np.all(lr > 0):
        logs = np.log(lr)
        slope, intercept = np.polyfit(t, logs, 1)
        log_height = float(logs[0] - logs[-1])
        if log_height > 0:
            errors["exponential"] = float(np.sqrt(np.mean((logs - (slope * t + intercept)) ** 2))) / log_height
    kind, error = min(errors.items(), key=lambda item: item[1])
    return kind if error <= _FIT_TOLERANCE else "decay"


def _shape(steps: IntArray, lr: FloatArray) -> tuple[str, int | None, int | None]:
    """Shape name, warmup end index and decay start index."""
    peak = float(lr.max())
    if peak <= 0 or (peak - float(lr.min())) <= 0.01 * abs(peak):
        return "constant", None, None
    if _sign_changes(lr, 1e-3 * peak) >= 2:
        return "cyclic", None, None
    top = np.flatnonzero(lr >= 0.999 * peak)
    warm_end = int(top[0])
    climb = lr[: warm_end + 1]
    if warm_end > 0 and lr[0] < 0.9 * peak and np.any(climb < 0.8 * np.maximum.accumulate(climb)):
        return "irregular", None, None  # it fell before reaching its peak: a jump, not a warmup
    warmup = warm_end > 0 and lr[0] < 0.9 * peak
    below = np.flatnonzero(lr[warm_end:] < 0.98 * peak)
    decay_start = warm_end + int(below[0]) - 1 if below.size else None
    parts = ["warmup"] if warmup else []
    tail = lr[decay_start:] if decay_start is not None else lr[:0]
    if decay_start is None or tail.size < 2 or (peak - float(tail.min())) < 0.02 * peak:
        if not warmup:
            parts.append("constant")
        return "+".join(parts), (warm_end if warmup else None), None
    span = float(steps[-1] - steps[0]) or 1.0
    kind = _decay_kind(steps[decay_start:], tail, peak)
    if kind != "step" and (steps[decay_start] - steps[warm_end]) / span >= _STABLE_FRACTION:
        parts.append("constant")  # a long flat top before a smooth decay (warmup-stable-decay)
    parts.append(kind)
    return "+".join(parts), (warm_end if warmup else None), decay_start


def _events(lr: FloatArray, warm_end: int | None, decay_start: int | None, stable_top: bool) -> list[tuple[int, str]]:
    """Indices where the lr changes in a way the loss may answer: warmup end, big drops and rises."""
    events: list[tuple[int, str]] = []
    if warm_end is not None:
        events.append((warm_end, "warmup_end"))
    if decay_start is not None and stable_top:
        events.append((decay_start, "decay_start"))
    d = np.diff(lr)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(lr[:-1] > 0, lr[1:] / lr[:-1], np.nan)
    big = np.abs(d) >= 0.05 * float(lr.max())  # a cosine tail halves the lr often, by tiny amounts
    for kind, mask, strength in (("drop", (ratio <= 0.7) & big, -ratio), ("rise", (ratio >= 1.5) & big, ratio)):
        idx = np.flatnonzero(mask)
        if warm_end is not None and kind == "rise":
            idx = idx[idx >= warm_end]
        if idx.size > _MAX_EVENTS:
            idx = np.sort(idx[np.argsort(strength[idx], kind="stable")[-_MAX_EVENTS:]])
        events.extend((int(i) + 1, kind) for i in idx)
    return sorted(events)


def _loss_around(loss: MetricSeries, at: int, width: float) -> tuple[float | None, float | None]:
    """Loss level just before and just after a step; None unless each side has at least 3 points."""
    steps, values = finite_points(loss)
    lo, mid, hi = np.searchsorted(steps, [at - width, at, at + width], side="left")
    mid_after = int(np.searchsorted(steps, at, side="right"))
    hi = int(np.searchsorted(steps, at + width, side="right"))
    if mid - lo < 3 or hi - mid_after < 3:
        return None, None
    return float(median(values[lo:mid])), float(median(values[mid_after:hi]))


def _response(changes: list[LrChange]) -> str:
    """The clearest loss response, in words."""
    judged = [c for c in changes if c.loss_change is not None]
    if not judged:
        return ""
    c = max(judged, key=lambda ch: abs(ch.loss_change or 0.0))
    change = c.loss_change or 0.0
    moved = "fell" if change < 0 else "rose"
    what = {
        "warmup_end": "after warmup ended",
        "decay_start": "after the decay began",
        "drop": "after the lr drop",
        "rise": "after the lr rise",
    }[c.kind]
    lr = Role.LR
    if c.kind in ("drop", "rise"):
        detail = f"{format_value(c.lr_before, lr)}→{format_value(c.lr_after, lr)}"
    else:
        detail = f"lr {format_value(c.lr_after, lr)}"
    size = f"{abs(change):.0%}" if abs(change) < 10 else f"{1 + change:.2g}×" if change > 0 else f"{abs(change):.0%}"
    return f"loss {moved} {size} {what} at step {format_step(c.step)} ({detail})"


def transients(values: FloatArray) -> NDArray[np.bool_]:
    """Points of one- or two-point jumps: at least `_TRANSIENT_FACTOR` × the points just before and just after.

    A warmup's first points are below their next ones, a warm restart stays up after its jump, so neither is one.
    """
    n = values.size
    mask = np.zeros(n, dtype=bool)
    if n < 3:
        return mask
    f = _TRANSIENT_FACTOR
    with np.errstate(invalid="ignore"):
        one = (values[1:-1] >= f * values[:-2]) & (values[1:-1] >= f * values[2:]) & (values[:-2] > 0)
        mask[1:-1] |= one
        if n >= 4:
            low = np.maximum(values[:-3], values[3:])
            two = (np.minimum(values[1:-2], values[2:-1]) >= f * low) & (values[:-3] > 0)
            idx = np.flatnonzero(two) + 1
            mask[idx] = True
            mask[idx + 1] = True
    if np.count_nonzero(mask) > 2 * _MAX_TRANSIENTS:
        return np.zeros(n, dtype=bool)
    return mask


def _transient_records(steps: IntArray, values: FloatArray, mask: NDArray[np.bool_]) -> tuple[LrTransient, ...]:
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return ()
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = idx[np.concatenate([[0], breaks + 1])]
    ends = idx[np.concatenate([breaks, [idx.size - 1]])]
    out = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        before = float(values[s - 1]) if s > 0 else float(values[e + 1])
        after = float(values[e + 1]) if e + 1 < values.size else before
        out.append(LrTransient(int(steps[s]), e - s + 1, before, float(values[s : e + 1].max()), after))
    return tuple(out)


def lr_analysis(lr: MetricSeries, loss: MetricSeries | None = None) -> LrAnalysis:
    """Schedule shape, peak and final lr with their steps, and the loss's response around lr changes.

    One- or two-point jumps that come straight back are reported as transients and left out of the shape.
    """
    steps, values = finite_points(lr)
    jumps = transients(values)
    found = _transient_records(steps, values, jumps)
    if found:
        steps, values = steps[~jumps], values[~jumps]
    if values.size == 0:
        nan = float("nan")
        return LrAnalysis(lr.key, "unknown", nan, None, nan, None, nan, None, loss_key=loss.key if loss else None)
    peak_i = int(np.argmax(values))
    shape, warm_end, decay_start = _shape(steps, values) if values.size >= 3 else ("unknown", None, None)
    changes: list[LrChange] = []
    if loss is not None and values.size >= 3 and shape != "constant":
        span = float(steps[-1] - steps[0])
        width = max(0.03 * span, 1.0)
        for i, kind in _events(values, warm_end, decay_start, "constant+" in shape):
            before, after = _loss_around(loss, int(steps[i]), width)
            j = max(i - 1, 0)
            changes.append(LrChange(int(steps[i]), kind, float(values[j]), float(values[i]), before, after))
    return LrAnalysis(
        key=lr.key,
        shape=shape,
        initial=float(values[0]),
        initial_step=int(steps[0]),
        peak=float(values[peak_i]),
        peak_step=int(steps[peak_i]),
        final=float(values[-1]),
        final_step=int(steps[-1]),
        warmup_end_step=int(steps[warm_end]) if warm_end is not None else None,
        decay_start_step=int(steps[decay_start]) if decay_start is not None else None,
        changes=tuple(changes),
        loss_key=loss.key if loss is not None else None,
        response=_response(changes),
        transients=found,
    )
