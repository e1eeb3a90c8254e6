"""Aggregating runs that differ only by seed: mean ± std and Student-t confidence intervals per group.

Grouping: runs whose flattened configs are equal once seed keys (`seed`, `random_seed`, `*_seed`...)
and per-run bookkeeping keys (`output_dir`, `run_name`...) are ignored form one group; or, with
`group_by`, runs sharing that config value. A group's final (last finite) and best values are
reported as mean ± sample std and a `confidence` interval mean ± t·std/√n.

A single run has no spread across seeds, so its final value's uncertainty comes from its trailing
window: the last 10% of its finite points (at least 8), split into ⌊√n⌋ consecutive batches; the
standard error of the window mean is std(batch means)/√batches, which stays honest when neighbouring
points are autocorrelated (batches longer than the correlation time are nearly independent), and
the interval uses t with batches−1 degrees of freedom.

A run whose metric ends in NaN/Inf has no final value: it is left out of the final estimate (its best value
still counts) and the group says why ("lr-too-high ends in NaN at step 700"), rather than passing off the last
finite point from before the blow-up as "final".

Fractions: when the metric is accuracy-like (or a schema percent) and every value the runs logged lies in
[0, 1], intervals are clipped to [0, 1] (`Aggregation.bounds`), since mean ± t·s/√n of a handful of accuracies
can otherwise reach past 100%.

Labels name a group by the config values that set it apart: the keys two groups set to different values, each
shown only where the group sets it. A key that only some groups set (another tracker's naming, a flag added
later) names nobody unless the labels would otherwise collide.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from runwise.domain.compare.best import score, unscored_reason
from runwise.domain.compare.config_diff import config_equal, flatten_config
from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.hints import list_keys_hint, no_logs_hint, say
from runwise.domain.model import Run, RunInfo
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.shared_repr import fields_repr
from runwise.domain.stats import (
    Estimate,
    TrailingEstimate,
    estimate,
    trailing_estimate,
)

_SEED = re.compile(r"^(.*[_-])?seeds?([_-](value|id))?$", re.I)
PER_RUN_KEYS = frozenset(
    {"output_dir", "logging_dir", "log_dir", "save_dir", "checkpoint_dir", "run_name", "run_id", "wandb_run_id"}
)


# grouping -----------------------------------------------------------------------------------------
def is_seed_key(key: str) -> bool:
    """`seed`, `random_seed`, `rng_seed`, `data_seed`, `trainer.seed`, `seed_value`...: the leaf decides."""
    return bool(_SEED.match(key.rsplit(".", 1)[-1]))


def ignored_for_grouping(key: str, extra: frozenset[str] = frozenset()) -> bool:
    leaf = key.rsplit(".", 1)[-1]
    return is_seed_key(key) or leaf in PER_RUN_KEYS or key in extra or leaf in extra


@attrs.frozen
class GroupMember:
    """One run of a group with its final and best values for the metric (None when it has none)."""

    __repr__ = fields_repr

    info: RunInfo
    seed: Any
    final: float | None
    final_step: int | None
    best: float | None
    best_step: int | None
    trailing: TrailingEstimate | None
    no_final: str | None = None  # why there is no final value: "ends in NaN at step 700", "does not log it"


@attrs.frozen
class RunGroup:
    """Runs aggregated together; `config` holds the values that set this group apart from the others."""

    __repr__ = fields_repr

    label: str
    config: tuple[tuple[str, Any], ...]
    members: tuple[GroupMember, ...]
    final: Estimate | None
    best: Estimate | None
    missing: tuple[str, ...]  # names of members without a final value for the metric

    @property
    def notes(self) -> tuple[str, ...]:
        """'lr-too-high ends in NaN at step 700': each member without a final value and why."""
        return tuple(f"{m.info.name} {m.no_final}" for m in self.members if m.final is None and m.no_final)

    @property
    def n(self) -> int:
        return sum(1 for m in self.members if m.final is not None)

    @property
    def trailing(self) -> TrailingEstimate | None:
        """For a one-run group: the uncertainty of its final value from its trailing window."""
        scored = [m for m in self.members if m.final is not None]
        return scored[0].trailing if len(scored) == 1 else None


@attrs.frozen
class Aggregation:
    """Groups of runs for one metric, best group first when the metric has a direction."""

    __repr__ = fields_repr

    metric: str
    role: Role
    higher_is_better: bool | None
    group_by: str | None
    ignored_keys: tuple[str, ...]  # config keys that were not allowed to split groups
    groups: tuple[RunGroup, ...]
    confidence: float
    bounds: tuple[float, float] | None = None  # intervals clipped to this range (a fraction: [0, 1])


def aggregate(
    runs: Sequence[Run],
    metric: str,
    *,
    group_by: str | None = None,
    higher_is_better: bool | None = None,
    ignore: Sequence[str] = (),
    confidence: float = 0.95,
    schema: MetricSchema = DEFAULT_SCHEMA,
) -> Aggregation:
    """Group runs (by seed-free config, or by `group_by`) and estimate the metric's final and best values."""
    if not runs:
        raise InvalidInput("no runs to aggregate", say("give run references, or ", no_logs_hint()))
    if not 0.0 < confidence < 1.0:
        raise InvalidInput(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if not any(metric in run.series for run in runs):
        raise MetricNotFound(f"no run logs '{metric}'", list_keys_hint())
    direction = higher_is_better if higher_is_better is not None else schema.direction(metric)
    flats = [flatten_config(run.config) for run in runs]
    extra = frozenset(ignore)
    key = group_by.removeprefix("config.") if group_by else None
    if key is not None and not any(key in f for f in flats):
        raise InvalidInput(f"no run has the config key '{key}'", _known_keys(key, flats))
    bounds = _fraction_bounds(runs, metric, schema)
    ignored = sorted({k for f in flats for k in f if ignored_for_grouping(k, extra)}) if key is None else []
    signatures = [_signature(f, key, extra) for f in flats]
    order: list[tuple[tuple[str, Any], ...]] = []
    members: dict[int, list[int]] = {}
    for i, sig in enumerate(signatures):
        found = next((g for g, s in enumerate(order) if _same_signature(s, sig)), None)
        if found is None:
            order.append(sig)
            found = len(order) - 1
        members.setdefault(found, []).append(i)
    groups: list[RunGroup] = []
    for varying in [[key]] if key is not None else [_varying_keys(order, strict=True), _varying_keys(order)]:
        groups = [
            _group(order[g], [runs[i] for i in idx], [flats[i] for i in idx], metric, direction, varying, confidence)
            for g, idx in members.items()
        ]
        if len({g.label for g in groups}) == len(groups):
            break  # else keys that only some groups set must tell the groups apart too
    if bounds is not None:
        groups = [_clipped(g, bounds) for g in groups]
    groups.sort(key=lambda grp: _rank(grp, direction))
    return Aggregation(
        metric, schema.role(metric), direction, group_by, tuple(ignored), tuple(groups), confidence, bounds
    )


def _known_keys(key: str, flats: Sequence[Mapping[str, Any]]) -> str:
    """The hint for an unknown group-by key: close matches first, then the config keys the runs have."""
    known = sorted({k for f in flats for k in f})
    if not known:
        return "these runs log no config"
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    rest = [k for k in known if k not in close]
    shown = close + rest[: max(0, 12 - len(close))]
    more = f" (+{len(known) - len(shown)} more)" if len(known) > len(shown) else ""
    lead = f"did you mean {', '.join(close)}? " if close else ""
    return f"{lead}config keys: {', '.join(shown)}{more}"


def _fraction_bounds(runs: Sequence[Run], metric: str, schema: MetricSchema) -> tuple[float, float] | None:
    """(0, 1) when the metric is a fraction: accuracy-like (or a schema percent) with every logged value in [0, 1].

    A loss that happens to stay under 1 is not bounded by 1, so the role must say "fraction" too.
    """
    if not schema.is_percent(metric) and schema.role(metric) not in (Role.ACCURACY, Role.VAL_ACCURACY):
        return None
    seen = False
    for run in runs:
        series = run.series.get(metric)
        if series is None:
            continue
        values = series.values[np.isfinite(series.values)]
        if values.size and (values.min() < 0.0 or values.max() > 1.0):
            return None
        seen = seen or bool(values.size)
    return (0.0, 1.0) if seen else None


def _clip(e: Estimate | None, bounds: tuple[float, float]) -> Estimate | None:
    if e is None or e.low is None or e.high is None:
        return e
    lo, hi = bounds
    return attrs.evolve(e, low=min(max(e.low, lo), hi), high=max(min(e.high, hi), lo))


def _clipped(group: RunGroup, bounds: tuple[float, float]) -> RunGroup:
    """The group with its intervals (and its members' trailing intervals) kept inside `bounds`."""
    members = []
    for m in group.members:
        t = m.trailing
        if t is not None and t.low is not None and t.high is not None:
            t = attrs.evolve(t, low=max(t.low, bounds[0]), high=min(t.high, bounds[1]))
        members.append(attrs.evolve(m, trailing=t))
    return attrs.evolve(group, members=tuple(members), final=_clip(group.final, bounds), best=_clip(group.best, bounds))


def _signature(flat: Mapping[str, Any], key: str | None, extra: frozenset[str]) -> tuple[tuple[str, Any], ...]:
    if key is not None:
        return ((key, flat.get(key)),)
    return tuple((k, v) for k, v in flat.items() if not ignored_for_grouping(k, extra))


def _same_signature(a: tuple[tuple[str, Any], ...], b: tuple[tuple[str, Any], ...]) -> bool:
    return len(a) == len(b) and all(ka == kb and config_equal(va, vb) for (ka, va), (kb, vb) in zip(a, b))


def _varying_keys(signatures: Sequence[tuple[tuple[str, Any], ...]], *, strict: bool = False) -> list[str]:
    """Config keys that name the groups: set to different values by two groups, or (not strict) also set by
    some groups and not others."""
    maps = [dict(sig) for sig in signatures]
    keys = sorted(set().union(*maps)) if maps else []
    out = []
    for k in keys:
        values = [m[k] for m in maps if k in m]
        differs = any(not config_equal(values[0], v) for v in values[1:])
        if differs or (not strict and len(values) < len(maps)):
            out.append(k)
    return out


def _group(
    signature: tuple[tuple[str, Any], ...],
    runs: Sequence[Run],
    flats: Sequence[Mapping[str, Any]],
    metric: str,
    direction: bool | None,
    varying: Sequence[str],
    confidence: float,
) -> RunGroup:
    sig = dict(signature)
    config = tuple((k, sig.get(k)) for k in varying)
    present = [(k, v) for k, v in config if k in sig]
    shown = present or list(config)  # a group that lacks every varying key is named by their absence
    label = ", ".join(f"{k}={_show(v)}" for k, v in shown) if shown else "all runs"
    members = [_member(run, flat, metric, direction, confidence) for run, flat in zip(runs, flats)]
    finals = [m.final for m in members if m.final is not None]
    bests = [m.best for m in members if m.best is not None]
    return RunGroup(
        label=label,
        config=config,
        members=tuple(members),
        final=estimate(finals, confidence) if finals else None,
        best=estimate(bests, confidence) if bests else None,
        missing=tuple(m.info.name for m in members if m.final is None),
    )


def _member(run: Run, flat: Mapping[str, Any], metric: str, direction: bool | None, confidence: float) -> GroupMember:
    seed = next((v for k, v in flat.items() if is_seed_key(k)), None)
    series = run.series.get(metric)
    last = score(run, metric, True, "last")
    best = score(run, metric, direction, "best") if direction is not None else None
    # the trailing window of a blown-up run is from before it broke: no estimate of a final value it lacks
    trailing = trailing_estimate(series, confidence=confidence) if series is not None and last else None
    return GroupMember(
        info=run.info,
        seed=seed,
        final=last[0] if last else None,
        final_step=last[1] if last else None,
        best=best[0] if best else None,
        best_step=best[1] if best else None,
        trailing=trailing,
        no_final=None if last else unscored_reason(run, metric),
    )


def _rank(group: RunGroup, direction: bool | None) -> tuple[int, float, str]:
    if group.final is None:
        return (1, 0.0, group.label)
    if direction is None:
        return (0, 0.0, group.label)
    return (0, -group.final.mean if direction else group.final.mean, group.label)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
