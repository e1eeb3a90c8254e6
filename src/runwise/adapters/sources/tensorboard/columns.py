"""Accumulates decoded points per tag, then builds the run's series with TensorBoard's merge rules.

Points carry the ordinal of the record they came from (file order, files in write order), so that:
- a step written twice keeps its later write (a restart into a new file re-logs some steps);
- a `SessionLog.START` at step N (written by `purge_step` in PyTorch/tensorboardX, by TF on restart)
  drops every earlier-written point at step >= N, as TensorBoard does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.shared_repr import fields_repr

_SERIES_PLUGINS = (None, "", "scalars")


@attrs.define
class _Tag:
    __repr__ = fields_repr

    simple: bool = False
    tensor: bool = False
    plugin: str | None = None
    chunks: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]] = attrs.field(
        factory=list
    )
    ordinals: list[int] = attrs.field(factory=list)
    steps: list[int] = attrs.field(factory=list)
    values: list[float] = attrs.field(factory=list)
    walls: list[float] = attrs.field(factory=list)


@attrs.define
class Columns:
    """Everything read from a run's event files, before it becomes a Run."""

    __repr__ = fields_repr

    tags: dict[str, _Tag] = attrs.field(factory=dict)
    other: dict[str, str] = attrs.field(factory=dict)  # non-series tag -> kind
    config: dict[str, Any] = attrs.field(factory=dict)
    session_state: str | None = None  # the last hparams session_end_info status: finished, crashed, running
    purges: list[tuple[int, int]] = attrs.field(factory=list)  # (ordinal, step) of SessionLog.START
    first_wall: float | None = None
    last_wall: float | None = None
    last_ordinal: int = -1

    def _tag(self, tag: str, kind: str, plugin: str | None) -> _Tag:
        entry = self.tags.get(tag)
        if entry is None:
            entry = self.tags[tag] = _Tag()
        if kind == "simple":
            entry.simple = True
        else:
            entry.tensor = True
        if plugin is not None and entry.plugin is None:
            entry.plugin = plugin
        return entry

    def add_point(
        self, tag: str, kind: str, plugin: str | None, ordinal: int, step: int, value: float, wall: float
    ) -> None:
        entry = self._tag(tag, kind, plugin)
        entry.ordinals.append(ordinal)
        entry.steps.append(step)
        entry.values.append(value)
        entry.walls.append(wall)

    def add_points(
        self,
        tag: str,
        kind: str,
        plugin: str | None,
        ordinals: NDArray[np.int64],
        steps: NDArray[np.int64],
        values: NDArray[np.float64],
        walls: NDArray[np.float64],
    ) -> None:
        self._tag(tag, kind, plugin).chunks.append((ordinals, steps, values, walls))

    def add_other(self, tag: str, kind: str) -> None:
        self.other.setdefault(tag, kind)

    def saw_walls(self, first: float, last: float) -> None:
        if first > 0:
            self.first_wall = first if self.first_wall is None else min(self.first_wall, first)
        if last > 0:
            self.last_wall = last if self.last_wall is None else max(self.last_wall, last)

    # building ----------------------------------------------------------------------------------
    def series_tags(self) -> list[str]:
        """Tags that are metrics: simple values, or rank-0 tensors of the scalars plugin (or of none)."""
        return sorted(t for t, e in self.tags.items() if e.simple or e.plugin in _SERIES_PLUGINS)

    def non_series(self) -> dict[str, str]:
        """Tags that hold other data (text, histograms, images, non-scalar tensors), with their kind."""
        out = {t: k for t, k in self.other.items() if k != "hparams" and t not in self.tags}
        for tag, entry in self.tags.items():
            if not (entry.simple or entry.plugin in _SERIES_PLUGINS):
                out[tag] = entry.plugin or "tensor"
        return dict(sorted(out.items()))

    def build(self, keys: Sequence[str] | None = None, *, release: bool = False) -> dict[str, MetricSeries]:
        """Full-resolution series, ordered by step, later writes winning, purges applied.

        With `release`, each tag's raw points are dropped once its series is built, so the raw
        points and the finished series of a large run are never all in memory together.
        """
        wanted = self.series_tags() if keys is None else [k for k in keys if k in self.tags]
        return {tag: self._series(tag, release) for tag in wanted}

    def _series(self, tag: str, release: bool) -> MetricSeries:
        entry = self.tags[tag]
        parts = list(entry.chunks)
        if release:
            entry.chunks = []
        if entry.ordinals:
            parts.append(
                (
                    np.array(entry.ordinals, dtype=np.int64),
                    np.array(entry.steps, dtype=np.int64),
                    np.array(entry.values, dtype=np.float64),
                    np.array(entry.walls, dtype=np.float64),
                )
            )
        if release:
            entry.ordinals, entry.steps, entry.values, entry.walls = [], [], [], []
        if not parts:
            return MetricSeries(tag, [], [], [])
        ordinals, steps, values, walls = (
            np.concatenate(column) if len(parts) > 1 else column[0] for column in zip(*parts)
        )
        del parts  # the chunks are copied now; let them go before sorting makes more copies
        if ordinals.size > 1 and not bool(np.all(ordinals[1:] >= ordinals[:-1])):
            order = np.argsort(ordinals, kind="stable")
            ordinals, steps, values, walls = ordinals[order], steps[order], values[order], walls[order]
        for purge_ordinal, purge_step in self.purges:
            keep = (ordinals > purge_ordinal) | (steps < purge_step)
            if not keep.all():
                ordinals, steps, values, walls = ordinals[keep], steps[keep], values[keep], walls[keep]
        return sorted_series(tag, steps, values, walls)
