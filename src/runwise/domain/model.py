"""Core value types: a run, its metadata and its metric series."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from runwise.domain.shared_repr import fields_repr

RunState = Literal["running", "finished", "crashed", "unknown"]
RUN_STATES: tuple[RunState, ...] = ("running", "finished", "crashed", "unknown")


def _take_over(values: ArrayLike, dtype: type) -> NDArray[Any]:
    """A read-only 1-D array. An array of the right dtype is taken over, not copied (a
    million-point series must not be held twice); its owner should not write to it afterwards."""
    array: NDArray[Any] = np.asarray(values, dtype=dtype).reshape(-1)
    if array.flags.writeable:
        array = array.view()
        array.setflags(write=False)
    return array


def _int_steps(values: ArrayLike) -> NDArray[np.int64]:
    return _take_over(values, np.int64)


def _float_values(values: ArrayLike) -> NDArray[np.float64]:
    return _take_over(values, np.float64)


def _frozen_optional_float(values: ArrayLike | None) -> NDArray[np.float64] | None:
    return None if values is None else _float_values(values)


@attrs.frozen(eq=False)
class MetricSeries:
    """One metric at full resolution, with its own steps; NaN and ±Inf are kept as logged."""

    __repr__ = fields_repr

    key: str
    steps: NDArray[np.int64] = attrs.field(converter=_int_steps)
    values: NDArray[np.float64] = attrs.field(converter=_float_values)
    wall_time: NDArray[np.float64] | None = attrs.field(default=None, converter=_frozen_optional_float)

    def __attrs_post_init__(self) -> None:
        if self.steps.shape != self.values.shape:
            raise ValueError(f"{self.key}: {self.steps.size} steps but {self.values.size} values")
        if self.wall_time is not None and self.wall_time.shape != self.steps.shape:
            raise ValueError(f"{self.key}: wall_time length differs from steps")

    def __len__(self) -> int:
        return int(self.steps.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetricSeries):
            return NotImplemented
        return (
            self.key == other.key
            and np.array_equal(self.steps, other.steps)
            and np.array_equal(self.values, other.values, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def first_step(self) -> int | None:
        return int(self.steps[0]) if self.steps.size else None

    @property
    def last_step(self) -> int | None:
        return int(self.steps[-1]) if self.steps.size else None

    def until(self, step: int) -> MetricSeries:
        """The series as it was when `step` was logged (points at or before it)."""
        end = int(np.searchsorted(self.steps, step, side="right"))
        wall = None if self.wall_time is None else self.wall_time[:end]
        return MetricSeries(self.key, self.steps[:end], self.values[:end], wall)

    def between(self, start: int | None, stop: int | None) -> MetricSeries:
        """Points with start <= step <= stop (either bound may be open)."""
        lo = 0 if start is None else int(np.searchsorted(self.steps, start, side="left"))
        hi = self.steps.size if stop is None else int(np.searchsorted(self.steps, stop, side="right"))
        wall = None if self.wall_time is None else self.wall_time[lo:hi]
        return MetricSeries(self.key, self.steps[lo:hi], self.values[lo:hi], wall)


def sorted_series(key: str, steps: ArrayLike, values: ArrayLike, wall_time: ArrayLike | None = None) -> MetricSeries:
    """Build a series ordered by step; a step logged twice keeps its last write (restarts, re-logging)."""
    steps_a = np.asarray(steps, dtype=np.int64)
    values_a = np.asarray(values, dtype=np.float64)
    wall_a = None if wall_time is None else np.asarray(wall_time, dtype=np.float64)
    if steps_a.size > 1 and not (np.all(steps_a[1:] > steps_a[:-1])):
        # stable sort, then keep the last occurrence of each step
        order = np.argsort(steps_a, kind="stable")
        steps_a, values_a = steps_a[order], values_a[order]
        wall_a = None if wall_a is None else wall_a[order]
        keep = np.ones(steps_a.size, dtype=bool)
        keep[:-1] = steps_a[1:] != steps_a[:-1]
        steps_a, values_a = steps_a[keep], values_a[keep]
        wall_a = None if wall_a is None else wall_a[keep]
    return MetricSeries(key, steps_a, values_a, wall_a)


@attrs.frozen
class GitInfo:
    """Where the code of a run came from."""

    __repr__ = fields_repr

    commit: str | None = None
    remote: str | None = None
    dirty: bool | None = None
    branch: str | None = None
    inferred: bool = False  # found from the work tree the log lives in, not recorded by the tracker
    subject: str | None = None  # the commit message's first line, when known


@attrs.frozen
class RunInfo:
    """What is known about a run without reading its metrics in full."""

    __repr__ = fields_repr

    id: str
    name: str
    source: str
    project: str | None = None
    state: RunState = "unknown"
    created_at: float | None = None  # unix seconds
    updated_at: float | None = None
    last_step: int | None = None
    runtime_s: float | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None
    git: GitInfo | None = None
    path: str | None = None  # where the run lives (folder or file), for path references
    accelerator: str | None = None  # as the tracker recorded it, e.g. "NVIDIA A100-SXM4-80GB"
    accelerator_count: int | None = None
    url: str | None = None  # the run's page in its tracker's UI, when it has one

    @property
    def qualified_id(self) -> str:
        return f"{self.source}:{self.id}"


@attrs.frozen
class Run:
    """A run with its config, final summary values and every metric series."""

    __repr__ = fields_repr

    info: RunInfo
    config: Mapping[str, Any] = attrs.field(factory=dict)
    summary: Mapping[str, Any] = attrs.field(factory=dict)
    series: Mapping[str, MetricSeries] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()  # problems met while reading (skipped lines, bad records)
    partial_of: int | None = None  # the whole run's last step, when this is the run cut at an earlier one

    def at_step(self, step: int) -> tuple[Run, int]:
        """The run as it was at `step`: nearest logged step at or before it, and that step.

        The info is cut too, so nothing describes the whole run: the state becomes "unknown" (a finished run was
        not finished at step 500), `runtime_s` and `updated_at` come from the wall times logged up to the step
        (None without them), and `partial_of` keeps the whole run's last step. A step at or past the end cuts
        nothing and returns the run unchanged.
        """
        used = -1
        cut: dict[str, MetricSeries] = {}
        for key, series in self.series.items():
            part = series.until(step)
            cut[key] = part
            if part.last_step is not None:
                used = max(used, part.last_step)
        if used < 0:
            from runwise.domain.errors import InvalidInput

            first = min((s.first_step for s in self.series.values() if s.first_step is not None), default=None)
            raise InvalidInput(f"no step at or before {step} in run {self.info.name} (first logged step: {first})")
        whole = max(s.last_step for s in self.series.values() if s.last_step is not None)
        if used >= whole:
            return attrs.evolve(self, info=attrs.evolve(self.info, last_step=used)), used
        runtime, updated = self._clock_at(cut)
        info = attrs.evolve(self.info, last_step=used, state="unknown", runtime_s=runtime, updated_at=updated)
        return attrs.evolve(self, info=info, series=cut, partial_of=whole), used

    def _clock_at(self, cut: Mapping[str, MetricSeries]) -> tuple[float | None, float | None]:
        """(runtime_s, updated_at) of the cut run from wall times; the whole run's runtime minus the time logged
        after the cut when the source knows it (its own definition of runtime), else first to last wall time."""
        cut_walls = _finite_walls(cut.values())
        walls = _finite_walls(self.series.values())
        if cut_walls.size == 0 or walls.size == 0:
            return None, None
        updated, start, end = float(cut_walls.max()), float(walls.min()), float(walls.max())
        if self.info.runtime_s is not None:
            return max(0.0, self.info.runtime_s - (end - updated)), updated
        return max(0.0, updated - start), updated


def _finite_walls(series: Iterable[MetricSeries]) -> NDArray[np.float64]:
    """Every finite wall time of the series, in one array (empty when none logged any)."""
    parts = [s.wall_time[np.isfinite(s.wall_time)] for s in series if s.wall_time is not None]
    return np.concatenate(parts) if parts else np.empty(0)


def select_series(
    series: Mapping[str, MetricSeries], keys: Collection[str] | None, run: str
) -> dict[str, MetricSeries]:
    """The named series of a run (all when `keys` is None); an unknown key is a MetricNotFound."""
    if keys is None:
        return dict(series)
    from runwise.domain.errors import MetricNotFound
    from runwise.domain.hints import list_keys_hint

    for key in keys:
        if key not in series:
            raise MetricNotFound(f"run '{run}' has no metric '{key}'", list_keys_hint(run))
    return {k: series[k] for k in keys}
