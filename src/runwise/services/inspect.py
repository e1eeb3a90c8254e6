"""Use cases for the zoom-in: list runs, list keys, history, statistics, config."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.hints import Call, Param, Text, list_keys_hint, say
from runwise.domain.inspect import History, KeyGroup, KeyListing, StatsTable, history, list_keys
from runwise.domain.model import MetricSeries, RunInfo
from runwise.domain.refs import SOURCE_ALIASES
from runwise.domain.roles import ROLE_PRIORITY
from runwise.domain.schema import MetricSchema
from runwise.domain.series import best, stats
from runwise.domain.summary import is_internal
from runwise.services.catalog import Catalog, LoadedRun

DEFAULT_SAMPLES = 40
MAX_SAMPLES = 5000


def list_runs(
    catalog: Catalog,
    *,
    source: str | None = None,
    project: str | None = None,
    state: str | None = None,
    limit: int | None = 50,
) -> list[RunInfo]:
    """Runs of every source, newest first."""
    if source is not None:
        source = SOURCE_ALIASES.get(source.lower(), source)
        known = sorted({s.name for s in catalog.sources})
        if source not in known:
            raise InvalidInput(f"no source named '{source}'", "sources here: " + ", ".join(known))
    found = catalog.list_runs(source=source, project=project, state=state, limit=limit)
    if project is None and state is None:
        catalog.require_readable(found, source=source)
    return [info for _, info in found]


def keys(catalog: Catalog, ref: str, schema: MetricSchema, *, prefix: str | None = None) -> KeyListing:
    """A run's keys grouped by prefix; with `prefix`, only the keys starting with it."""
    loaded = catalog.load(ref)
    listing = list_keys(loaded.run.info, loaded.run.series, schema)
    non_series = tuple(sorted(str(k) for k in loaded.run.summary.get("_non_series", ()) or ()))
    listing = attrs.evolve(listing, non_series=non_series)
    if not prefix:
        return listing
    groups = []
    for group in listing.groups:
        kept = tuple(k for k in group.keys if k.key.startswith(prefix))
        if kept:
            groups.append(KeyGroup(group.prefix, kept))
    if not groups:
        raise InvalidInput(
            f"run '{listing.run.name}' has no keys starting with '{prefix}'",
            say(Call.of("keys", run=ref), " without ", Param("prefix"), " lists every key"),
        )
    return attrs.evolve(listing, groups=tuple(groups), total=sum(len(g.keys) for g in groups), non_series=())


def _select(loaded: LoadedRun, wanted: Sequence[str]) -> list[str]:
    series = loaded.run.series
    if not wanted:
        raise InvalidInput(
            "no keys given", say("name them in ", Param("keys"), "; ", list_keys_hint(loaded.run.info.name))
        )
    chosen: list[str] = []
    for key in wanted:
        if key in series:
            chosen.append(key)
            continue
        close = [k for k in series if key.lower() in k.lower()]
        hint: Text = f"did you mean {', '.join(close[:3])}?" if close else list_keys_hint(loaded.run.info.name)
        raise MetricNotFound(f"run '{loaded.run.info.name}' has no metric '{key}'", hint)
    return chosen


def get_history(
    catalog: Catalog,
    ref: str,
    keys_wanted: Sequence[str],
    schema: MetricSchema,
    *,
    samples: int = DEFAULT_SAMPLES,
    start: int | None = None,
    stop: int | None = None,
    aligned: bool = False,
) -> History:
    """Downsampled history (extremes and NaNs kept) of the named keys between two steps.

    `aligned` reads keys logged at different rates on the sparsest key's steps instead.
    """
    if not 2 <= samples <= MAX_SAMPLES:
        raise InvalidInput(f"samples must be between 2 and {MAX_SAMPLES}, got {samples}")
    if start is not None and stop is not None and start > stop:
        raise InvalidInput(
            say(Param("from_step", start), " is after ", Param("to_step", stop)),
            "give a start step before the end step",
        )
    loaded = catalog.load(ref)
    chosen = _select(loaded, keys_wanted)
    return history(loaded.run.info, loaded.run.series, chosen, samples, start, stop, schema, aligned=aligned)


def get_stats(catalog: Catalog, ref: str, keys_wanted: Sequence[str] | None, schema: MetricSchema) -> StatsTable:
    """Min/max/mean/last/best and non-finite counts over every point of each key."""
    loaded = catalog.load(ref)
    series = loaded.run.series
    if keys_wanted:
        chosen = _select(loaded, keys_wanted)
    else:  # losses and validation metrics first: a table cut to a budget keeps what matters most
        chosen = sorted((k for k in series if not is_internal(k)), key=lambda k: (ROLE_PRIORITY[schema.role(k)], k))
    rows = tuple(stats(series[k]) for k in chosen)
    roles = {k: schema.role(k) for k in chosen}
    bests = {k: _best(series[k], schema) for k in chosen}
    return StatsTable(loaded.run.info, rows, roles, bests)


def _best(series: MetricSeries, schema: MetricSchema) -> tuple[float | None, int | None]:
    direction = schema.direction(series.key)
    return best(series, direction) if direction is not None else (None, None)


def get_config(catalog: Catalog, ref: str) -> tuple[RunInfo, dict[str, Any]]:
    loaded = catalog.load(ref)
    return loaded.run.info, dict(loaded.run.config)
