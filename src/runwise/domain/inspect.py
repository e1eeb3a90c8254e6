"""Key listings, histories and per-key statistics: what the zoom-in tools return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.model import MetricSeries, RunInfo
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.series import SeriesStats, downsample
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class KeyInfo:
    """One logged key: how many points, over which steps, how many non-finite."""

    __repr__ = fields_repr

    key: str
    role: Role
    count: int
    first_step: int | None
    last_step: int | None
    nonfinite: int


@attrs.frozen
class KeyGroup:
    """Keys sharing a prefix (`train/`, `val/`, or `(root)` for keys without one)."""

    __repr__ = fields_repr

    prefix: str
    keys: tuple[KeyInfo, ...]


@attrs.frozen
class KeyListing:
    __repr__ = fields_repr

    run: RunInfo
    groups: tuple[KeyGroup, ...]
    total: int
    non_series: tuple[str, ...] = ()


def same_span(keys: Sequence[KeyInfo]) -> dict[tuple[int, int | None, int | None], list[KeyInfo]]:
    """Keys with the same point count and step range (one listing line each), in first-seen order."""
    merged: dict[tuple[int, int | None, int | None], list[KeyInfo]] = {}
    for k in keys:
        merged.setdefault((k.count, k.first_step, k.last_step), []).append(k)
    return merged


def prefix_of(key: str) -> str:
    head, sep, _ = key.partition("/")
    return f"{head}/" if sep else ""


def list_keys(info: RunInfo, series: Mapping[str, MetricSeries], schema: MetricSchema = DEFAULT_SCHEMA) -> KeyListing:
    """Keys grouped by prefix, each with point count and step range."""
    groups: dict[str, list[KeyInfo]] = {}
    for key in sorted(series):
        s = series[key]
        bad = int(s.values.size - np.count_nonzero(np.isfinite(s.values)))
        groups.setdefault(prefix_of(key), []).append(
            KeyInfo(key, schema.role(key), len(s), s.first_step, s.last_step, bad)
        )
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == "", kv[0]))
    return KeyListing(info, tuple(KeyGroup(p, tuple(k)) for p, k in ordered), len(series))


@attrs.frozen
class HistorySeries:
    """A downsampled view of one key, with the size of the full series it came from."""

    __repr__ = fields_repr

    series: MetricSeries
    total_points: int
    role: Role
    percent: bool = False


@attrs.frozen(eq=False)
class AlignedTable:
    """Keys logged at different rates read on one step grid: the sparsest key's steps.

    Each other key gives its value at the nearest logged step at or before the grid step (NaN when it
    has none yet), so `val/loss` every 1,000 steps lines up with `train/loss` every step.
    """

    __repr__ = fields_repr

    grid_key: str
    steps: NDArray[np.int64]
    columns: tuple[tuple[str, NDArray[np.float64]], ...]


@attrs.frozen
class History:
    __repr__ = fields_repr

    run: RunInfo
    items: tuple[HistorySeries, ...]
    samples: int
    start: int | None = None
    stop: int | None = None
    aligned: AlignedTable | None = None


def align(
    series: Mapping[str, MetricSeries], keys: Sequence[str], samples: int, start: int | None, stop: int | None
) -> AlignedTable:
    """Read every key on the sparsest key's steps (thinned evenly to at most `samples`)."""
    windows = {k: series[k].between(start, stop) for k in keys}
    grid_key = min(keys, key=lambda k: (len(windows[k]) == 0, len(windows[k])))
    grid = windows[grid_key].steps
    if grid.size > samples:
        grid = grid[np.unique(np.linspace(0, grid.size - 1, samples).round().astype(np.int64))]
    columns = []
    for key in keys:
        s = windows[key]
        pos = np.searchsorted(s.steps, grid, side="right") - 1
        values = (
            np.full(grid.size, np.nan)
            if s.steps.size == 0
            else np.where(pos >= 0, s.values[np.maximum(pos, 0)], np.nan)
        )
        columns.append((key, values))
    return AlignedTable(grid_key, grid, tuple(columns))


def history(
    info: RunInfo,
    series: Mapping[str, MetricSeries],
    keys: Sequence[str],
    samples: int,
    start: int | None = None,
    stop: int | None = None,
    schema: MetricSchema = DEFAULT_SCHEMA,
    *,
    aligned: bool = False,
) -> History:
    """Each key cut to [start, stop] and downsampled to ~samples points, extremes and NaNs kept.

    With `aligned`, the keys are instead read on one shared step grid (see AlignedTable).
    """
    if aligned and len(keys) > 1:
        table = align(series, keys, samples, start, stop)
        totals = tuple(
            HistorySeries(
                MetricSeries(k, [], []), len(series[k].between(start, stop)), schema.role(k), schema.is_percent(k)
            )
            for k in keys
        )
        return History(info, totals, samples, start, stop, table)
    items = []
    for key in keys:
        window = series[key].between(start, stop)
        items.append(HistorySeries(downsample(window, samples), len(window), schema.role(key), schema.is_percent(key)))
    return History(info, tuple(items), samples, start, stop)


@attrs.frozen
class StatsTable:
    __repr__ = fields_repr

    run: RunInfo
    rows: tuple[SeriesStats, ...]
    roles: Mapping[str, Role] = attrs.field(factory=dict)
    best: Mapping[str, tuple[float | None, int | None]] = attrs.field(factory=dict)
