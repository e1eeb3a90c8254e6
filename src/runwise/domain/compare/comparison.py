"""Side-by-side comparison of runs, each at its last step or at a requested step, key by key.

Every value is taken from the full-resolution series: at a requested step the exact step when it
was logged, else the nearest logged step at or before it; the step actually used is kept per key
and per run, so sparse keys (val every 1000 steps) say which point they come from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import attrs
import numpy as np

from runwise.domain.compare.config_diff import ConfigDiff, diff_configs
from runwise.domain.compare.filters import key_matches, parse_filter
from runwise.domain.errors import InvalidInput
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.roles import ROLE_PRIORITY, Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.shared_repr import fields_repr

Verdict = Literal["better", "worse", "same", "differs"]
_SAME_REL = 1e-12


@attrs.frozen
class RunColumn:
    """One run of a comparison; `requested_step` is None when compared at its last step."""

    __repr__ = fields_repr

    info: RunInfo
    requested_step: int | None = None

    @property
    def label(self) -> str:
        return self.info.name if self.requested_step is None else f"{self.info.name}@{self.requested_step}"


@attrs.frozen
class KeyValue:
    """A run's value for one key and the step it was taken at (None when the key has no point there)."""

    __repr__ = fields_repr

    value: float | None
    step: int | None
    exact: bool | None = None  # at a requested step: whether that exact step was logged

    @property
    def finite(self) -> bool:
        return self.value is not None and math.isfinite(self.value)


@attrs.frozen
class KeyComparison:
    """One metric across runs; deltas, percents and verdicts are relative to the first run (the baseline)."""

    __repr__ = fields_repr

    key: str
    group: str
    role: Role
    higher_is_better: bool | None
    values: tuple[KeyValue, ...]
    deltas: tuple[float | None, ...]
    pct: tuple[float | None, ...]  # 100 * delta / |baseline|; ±inf when the baseline is 0
    verdicts: tuple[Verdict | None, ...]  # None for the baseline itself and where nothing can be said
    best_index: int | None  # the run with the best finite value (direction known), first on ties

    @property
    def max_abs_pct(self) -> float | None:
        finite = [abs(p) for p in self.pct if p is not None]
        return max(finite) if finite else None

    @property
    def steps(self) -> tuple[int | None, ...]:
        return tuple(v.step for v in self.values)


@attrs.frozen
class Comparison:
    """Runs side by side: the kept keys (after filter and threshold), and optionally the config diff."""

    __repr__ = fields_repr

    runs: tuple[RunColumn, ...]
    keys: tuple[KeyComparison, ...]
    total_keys: int  # keys logged by any run, before the filter and threshold
    key_filter: tuple[str, ...] = ()
    threshold_pct: float | None = None
    grouped: bool = False
    config_diff: ConfigDiff | None = None

    def groups(self) -> dict[str, tuple[KeyComparison, ...]]:
        """Kept keys by prefix (`train/loss` → `train`; keys without a '/' under "")."""
        out: dict[str, list[KeyComparison]] = {}
        for key in self.keys:
            out.setdefault(key.group, []).append(key)
        return {group: tuple(items) for group, items in out.items()}

    def key(self, name: str) -> KeyComparison:
        for key in self.keys:
            if key.key == name:
                return key
        raise KeyError(name)


def key_group(key: str) -> str:
    """The prefix a key is grouped under: the part before the first '/', or "" for flat keys."""
    head, sep, _ = key.partition("/")
    return head if sep else ""


def value_at(series: MetricSeries | None, step: int | None) -> KeyValue:
    """The series' point at `step` (exact, else nearest at or before), or its last point when step is None."""
    if series is None or len(series) == 0:
        return KeyValue(None, None)
    if step is None:
        return KeyValue(float(series.values[-1]), int(series.steps[-1]))
    end = int(np.searchsorted(series.steps, step, side="right"))
    if end == 0:
        return KeyValue(None, None, False)
    used = int(series.steps[end - 1])
    return KeyValue(float(series.values[end - 1]), used, used == step)


def compare_runs(
    runs: Sequence[Run],
    *,
    steps: Sequence[int | None] | None = None,
    key_filter: str | Sequence[str] | None = None,
    threshold_pct: float | None = None,
    group: bool = False,
    config_diff: bool = False,
    schema: MetricSchema = DEFAULT_SCHEMA,
) -> Comparison:
    """Compare two or more runs; the first is the baseline for deltas and verdicts.

    `steps[i]` is the step run i is compared at (None: its last point). `key_filter` keeps keys
    matching any substring/glob; `threshold_pct` keeps keys whose largest relative difference to
    the baseline is at least that many percent (and keys present in some runs but not others).
    """
    if len(runs) < 2:
        raise InvalidInput("a comparison needs at least two runs", "give two or more run references")
    if steps is not None and len(steps) != len(runs):
        raise InvalidInput(f"{len(steps)} steps given for {len(runs)} runs")
    if threshold_pct is not None and (math.isnan(threshold_pct) or threshold_pct < 0):
        raise InvalidInput(f"threshold must be 0 or more percent, got {threshold_pct}")
    at = list(steps) if steps is not None else [None] * len(runs)
    patterns = parse_filter(key_filter)
    all_keys = sorted(set().union(*(run.series.keys() for run in runs)))
    kept = []
    for key in all_keys:
        if not key_matches(key, patterns):
            continue
        if not patterns and schema.role(key) is Role.PROGRESS:
            continue  # clocks and counters (_timestamp, _runtime) differ between any two runs: noise
        row = _compare_key(key, [run.series.get(key) for run in runs], at, schema)
        if row is not None and _passes(row, threshold_pct):
            kept.append(row)
    kept.sort(key=lambda k: (k.group, _order(k)) if group else _order(k))
    diff = diff_configs([run.config for run in runs]) if config_diff else None
    columns = tuple(RunColumn(run.info, step) for run, step in zip(runs, at))
    return Comparison(columns, tuple(kept), len(all_keys), patterns, threshold_pct, group, diff)


def _order(key: KeyComparison) -> tuple[int, str]:
    return ROLE_PRIORITY.get(key.role, 99), key.key


def _compare_key(
    key: str, series: Sequence[MetricSeries | None], at: Sequence[int | None], schema: MetricSchema
) -> KeyComparison | None:
    values = tuple(value_at(s, step) for s, step in zip(series, at))
    if all(v.value is None for v in values):
        return None  # no run has a point for this key at the compared steps
    direction = schema.direction(key)
    base = values[0]
    deltas: list[float | None] = [None]
    pct: list[float | None] = [None]
    verdicts: list[Verdict | None] = [None]
    for value in values[1:]:
        delta, percent = _difference(base, value)
        deltas.append(delta)
        pct.append(percent)
        verdicts.append(_verdict(base, value, delta, direction))
    return KeyComparison(
        key=key,
        group=key_group(key),
        role=schema.role(key),
        higher_is_better=direction,
        values=values,
        deltas=tuple(deltas),
        pct=tuple(pct),
        verdicts=tuple(verdicts),
        best_index=_best_index(values, direction),
    )


def _difference(base: KeyValue, other: KeyValue) -> tuple[float | None, float | None]:
    if not (base.finite and other.finite):
        return None, None
    assert base.value is not None and other.value is not None
    delta = other.value - base.value
    if base.value == 0:
        return delta, 0.0 if delta == 0 else math.copysign(math.inf, delta)
    return delta, 100.0 * delta / abs(base.value)


def _verdict(base: KeyValue, other: KeyValue, delta: float | None, direction: bool | None) -> Verdict | None:
    if base.value is None or other.value is None:
        return None  # one run has no point for the key: nothing to judge
    if delta is None:
        if base.finite == other.finite:
            return None  # both NaN/Inf
        if direction is None:
            return "differs"
        return "better" if other.finite else "worse"  # a NaN is never better than a number
    scale = max(abs(base.value), abs(other.value))
    if abs(delta) <= _SAME_REL * scale:
        return "same"
    if direction is None:
        return "differs"
    return "better" if (delta > 0) == direction else "worse"


def _best_index(values: Sequence[KeyValue], direction: bool | None) -> int | None:
    if direction is None:
        return None
    candidates = [(v.value, i) for i, v in enumerate(values) if v.finite and v.value is not None]
    if not candidates:
        return None
    if direction:
        return max(candidates, key=lambda c: (c[0], -c[1]))[1]
    return min(candidates, key=lambda c: (c[0], c[1]))[1]


def _passes(row: KeyComparison, threshold_pct: float | None) -> bool:
    if threshold_pct is None:
        return True
    presence = {v.finite for v in row.values}
    if len(presence) > 1:
        return True  # logged (finite) in some runs, missing or NaN in others: always worth showing
    biggest = row.max_abs_pct
    return biggest is not None and biggest >= threshold_pct
