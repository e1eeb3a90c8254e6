"""What a chart of one metric shows, independent of how it is drawn (SVG, PNG or terminal).

A chart holds, per run, the series cut to the step range and downsampled to about two points per pixel
column with `downsample_indices` (each bucket keeps its min, max and first non-finite point, so a one-step
spike or the first NaN survives any width), the anomaly episodes of that metric, where a run broke
(its NaN/Inf tail) and whether a log y axis reads better. Renderers only map fractions to pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.anomaly import Anomaly
from runwise.domain.labels import NO_LABELS, KeyLabels
from runwise.domain.model import MetricSeries
from runwise.domain.series import downsample_indices, nonfinite_tail
from runwise.domain.shared_repr import fields_repr

LOG_SPAN = 100.0  # positive values spanning at least this ratio (two decades) read better on a log axis
POINTS_PER_COLUMN = 2  # a min and a max for every pixel column


@attrs.frozen(eq=False)
class ChartLine:
    """One run's curve on a chart: downsampled points (non-finite ones kept) and where the run broke."""

    __repr__ = fields_repr

    label: str
    steps: NDArray[np.int64]
    values: NDArray[np.float64]
    points: int  # points of the full-resolution series in the step range
    broke_at: int | None = None  # first step of a NaN/Inf ending
    broke_as: str | None = None  # "NaN", "Inf" or "-Inf"

    @property
    def nonfinite_steps(self) -> NDArray[np.int64]:
        """Steps of kept non-finite points before the run broke for good (isolated NaN/Inf); the NaN ending
        itself is shown once, from `broke_at`."""
        bad = self.steps[~np.isfinite(self.values)]
        return bad if self.broke_at is None else bad[bad < self.broke_at]


@attrs.frozen
class ChartEpisode:
    """An anomaly episode drawn as a shaded span (start..end) with a mark at its peak."""

    __repr__ = fields_repr

    label: str  # the run it belongs to
    kind: str
    severity: str
    start: int
    end: int
    peak: int
    message: str


@attrs.frozen(eq=False)
class Chart:
    """One metric across one or more runs."""

    __repr__ = fields_repr

    key: str
    lines: tuple[ChartLine, ...]
    episodes: tuple[ChartEpisode, ...]
    log_y: bool
    x_min: int
    x_max: int
    y_min: float | None  # None when no run has a finite value in range
    y_max: float | None
    name: str = ""  # the key's display name from the schema, when it has one

    @property
    def title(self) -> str:
        """What the chart is called for a reader: the display name, else the key as logged."""
        return self.name or self.key

    @property
    def empty(self) -> bool:
        return self.y_min is None

    def x_fraction(self, steps: NDArray[np.int64] | Sequence[int]) -> NDArray[np.float64]:
        """Where steps fall across the plot, 0 (x_min) to 1 (x_max)."""
        span = max(1, self.x_max - self.x_min)
        return (np.asarray(steps, dtype=np.float64) - self.x_min) / span

    def y_fraction(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """Where values fall up the plot, 0 (y_min) to 1 (y_max); NaN where a value cannot be placed."""
        if self.y_min is None or self.y_max is None:
            return np.full(np.shape(values), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.asarray(values, dtype=np.float64)
            if self.log_y:
                v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
                lo, hi = math.log10(self.y_min), math.log10(self.y_max)
            else:
                lo, hi = self.y_min, self.y_max
            span = hi - lo
            if span <= 0 or not math.isfinite(span):
                return np.where(np.isfinite(v), 0.5, np.nan)
            return np.where(np.isfinite(v), (v - lo) / span, np.nan)


def chart_line(label: str, series: MetricSeries, columns: int) -> ChartLine:
    """A run's curve for a chart `columns` pixels wide, extremes and non-finite points kept."""
    idx = downsample_indices(series.values, max(2, columns * POINTS_PER_COLUMN))
    tail = nonfinite_tail(series)
    return ChartLine(
        label=label,
        steps=series.steps[idx],
        values=series.values[idx],
        points=len(series),
        broke_at=tail[1] if tail else None,
        broke_as=tail[0] if tail else None,
    )


def build_chart(
    key: str,
    runs: Sequence[tuple[str, MetricSeries, Sequence[Anomaly]]],
    *,
    columns: int,
    log: bool | None = None,
    start: int | None = None,
    stop: int | None = None,
    labels: KeyLabels = NO_LABELS,
) -> Chart:
    """A chart of `key` for each (label, full series, that run's anomalies); `log` None chooses the axis.
    `labels` name the chart and its episodes' messages by the schema's display names."""
    lines: list[ChartLine] = []
    episodes: list[ChartEpisode] = []
    for label, series, anomalies in runs:
        line = chart_line(label, series.between(start, stop), columns)
        lines.append(line)
        episodes += _episodes(key, line, anomalies, start, stop, labels)
    steps = [line.steps for line in lines if line.steps.size]
    x_min = start if start is not None else (min(int(s[0]) for s in steps) if steps else 0)
    x_max = stop if stop is not None else (max(int(s[-1]) for s in steps) if steps else 1)
    finite = [line.values[np.isfinite(line.values)] for line in lines]
    finite = [f for f in finite if f.size]
    use_log = wants_log(finite) if log is None else (log and _all_positive(finite))
    y_min, y_max = _y_range(finite, use_log)
    x_max = max(x_max, x_min + 1)
    return Chart(key, tuple(lines), tuple(episodes), use_log, x_min, x_max, y_min, y_max, labels(key))


def _episodes(
    key: str,
    line: ChartLine,
    anomalies: Sequence[Anomaly],
    start: int | None,
    stop: int | None,
    labels: KeyLabels = NO_LABELS,
) -> list[ChartEpisode]:
    """The run's episodes on this metric within the range. Once a run broke (NaN/Inf to the end) the chart shows
    the break itself, so an episode is drawn only up to it and the NaN episode that is the break is not repeated."""
    out = []
    for a in anomalies:
        if a.metric != key or (stop is not None and a.start_step > stop) or (start is not None and a.end_step < start):
            continue
        end = a.end_step
        if line.broke_at is not None and end >= line.broke_at:
            if a.start_step >= line.broke_at:
                continue
            end = max(a.start_step, line.broke_at - 1)
        out.append(
            ChartEpisode(
                line.label, a.kind, a.severity, a.start_step, end, min(a.peak_step, end), labels.prose(a.message)
            )
        )
    return out


def _all_positive(finite: Sequence[NDArray[np.float64]]) -> bool:
    return bool(finite) and all(float(f.min()) > 0 for f in finite)


def wants_log(finite: Sequence[NDArray[np.float64]]) -> bool:
    """A log axis when every value is positive and they span two decades or more (a loss from 10 to 0.05,
    an lr schedule, a blow-up to 1e6): on a linear axis the interesting part would be a flat line."""
    if not _all_positive(finite):
        return False
    lo = min(float(f.min()) for f in finite)
    hi = max(float(f.max()) for f in finite)
    return hi / lo >= LOG_SPAN


def _y_range(finite: Sequence[NDArray[np.float64]], log: bool) -> tuple[float | None, float | None]:
    if not finite:
        return None, None
    lo = min(float(f.min()) for f in finite)
    hi = max(float(f.max()) for f in finite)
    if lo == hi:  # a constant: give it some room so it sits mid-plot
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = (lo / 1.5, hi * 1.5) if log else (lo - pad, hi + pad)
    elif not log:
        pad = (hi - lo) * 0.04
        lo, hi = lo - pad, hi + pad
    return lo, hi


def ticks(lo: float, hi: float, count: int = 5, *, log: bool = False) -> list[float]:
    """Round tick values inside lo..hi: 1-2-5 steps on a linear axis, powers of ten (or 1-2-5 within a decade
    or two) on a log axis."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    if log:
        return _log_ticks(lo, hi, count)
    raw = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    out: list[float] = []
    value = first
    while value <= hi + step * 1e-9 and len(out) < 50:
        out.append(0.0 if abs(value) < step * 1e-9 else round(value, 12))
        value += step
    return out


def _log_ticks(lo: float, hi: float, count: int) -> list[float]:
    low, high = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    decades = high - low
    mantissas = (1.0,) if decades >= 4 else (1.0, 2.0, 5.0)
    every = max(1, math.ceil(decades / max(1, count))) if decades >= 4 else 1
    out = [m * 10.0**e for e in range(low, high + 1, every) for m in mantissas]
    inside = [v for v in out if lo * (1 - 1e-9) <= v <= hi * (1 + 1e-9)]
    return inside or [lo, hi]
