"""Use cases: compare runs side by side, find the best run for a metric, aggregate runs over seeds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from runwise.domain.aggregate import Aggregation, aggregate
from runwise.domain.compare import BestRun, Comparison, Mode, best_run
from runwise.domain.compare import compare_runs as compare_domain_runs
from runwise.domain.compare.best import metric_direction
from runwise.domain.compare.by_commit import commit_runs
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import Call, Param, list_keys_hint, no_logs_hint, say
from runwise.domain.model import Run
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.services.catalog import Catalog, LoadedRun
from runwise.services.query import RunLoads, SelectedRun, select_runs

Direction = Literal["max", "min"] | bool | None
MAX_COMPARED_RUNS = 50


def compare_runs(
    catalog: Catalog,
    refs: Sequence[str],
    filter: str | Sequence[str] | None = None,
    threshold_pct: float | None = None,
    group: bool = False,
    config_diff: bool = False,
    schema: MetricSchema = DEFAULT_SCHEMA,
    by_commit: bool = False,
) -> Comparison:
    """Load each REF (a `REF@STEP` is compared at that step) and compare them; the first is the baseline.

    `by_commit` groups the runs by their git commit and compares the commits (domain.compare.by_commit).
    """
    if len(refs) < 2:
        raise InvalidInput(
            "compare needs at least two runs", say("e.g. ", Call.of("compare", runs=["run-a", "run-b@5000"]))
        )
    if len(refs) > MAX_COMPARED_RUNS:
        raise InvalidInput(f"too many runs to compare ({len(refs)}; the limit is {MAX_COMPARED_RUNS})")
    loaded = [catalog.load(ref) for ref in refs]
    if by_commit:
        return _compare_commits(catalog, loaded, filter, threshold_pct, group, config_diff, schema)
    return compare_domain_runs(
        [item.run for item in loaded],
        steps=[item.requested_step for item in loaded],
        key_filter=filter,
        threshold_pct=threshold_pct,
        group=group,
        config_diff=config_diff,
        schema=schema,
    )


def _compare_commits(
    catalog: Catalog,
    loaded: Sequence[LoadedRun],
    filter: str | Sequence[str] | None,
    threshold_pct: float | None,
    group: bool,
    config_diff: bool,
    schema: MetricSchema,
) -> Comparison:
    if any(item.requested_step is not None for item in loaded):
        raise InvalidInput(
            say(Param("by_commit"), " compares each run at its last step"), "drop the @STEP from the REFs"
        )
    runs = [attrs.evolve(item.run, info=catalog.with_git(item.run.info)) for item in loaded]
    commits = commit_runs(runs, schema)
    if len(commits) < 2:
        raise InvalidInput(
            f"all {len(runs)} runs have the same commit ({commits[0].info.name})", "name runs of two or more commits"
        )
    return compare_domain_runs(commits, key_filter=filter, threshold_pct=threshold_pct, group=group,
                               config_diff=config_diff, schema=schema)  # fmt: skip


def direction_flag(direction: Direction) -> bool | None:
    """'max' → True (higher is better), 'min' → False, None → inferred from the metric's role."""
    if direction is None or isinstance(direction, bool):
        return direction
    if direction in ("max", "min"):
        return direction == "max"
    raise InvalidInput(f"unknown direction '{direction}'", "use 'max' or 'min'")


def find_best_run(
    catalog: Catalog,
    metric: str,
    direction: Direction = None,
    where: str | None = None,
    mode: Mode = "last",
    *,
    schema: MetricSchema = DEFAULT_SCHEMA,
) -> BestRun:
    """The best discovered run (optionally among those matching `where`) by last or best value.

    When every source ranks on its own server (the W&B cloud), the server orders the runs and only
    the winner is loaded.
    """
    ranked = _server_best(catalog, metric, direction, where, mode, schema)
    if ranked is not None:
        return ranked
    loads = RunLoads(catalog)
    selected = select_runs(catalog, where, schema=schema, loads=loads)
    if not selected:
        if where:
            raise RunNotFound(f"no runs match '{where}'", say("loosen ", Param("where")))
        raise RunNotFound("no runs found", no_logs_hint())
    runs = _runs(selected)
    result = best_run(runs, metric, direction_flag(direction), mode, schema=schema)
    if loads.errors:  # an unreadable run is skipped for its read error, not for "does not log it"
        failed = {name for name, _ in loads.errors}
        kept = tuple(item for item in result.skipped if item[0] not in failed)
        result = attrs.evolve(result, skipped=kept + tuple(loads.errors))
    return result


def _server_best(
    catalog: Catalog, metric: str, direction: Direction, where: str | None, mode: Mode, schema: MetricSchema
) -> BestRun | None:
    servers = [s for s in catalog.sources if callable(getattr(s, "best_run", None))]
    if mode != "last" or where or not servers or len(servers) != len(catalog.sources):
        return None
    higher, _ = metric_direction(metric, direction_flag(direction), schema)
    hits = []
    for source in servers:
        hit = source.best_run(metric, higher_is_better=higher)  # type: ignore[attr-defined]
        if hit is not None and hit[1] is not None and catalog.allowed(hit[0]):
            hits.append((source, hit[0], float(hit[1])))
    if not hits:
        return None
    source, info, _ = (max if higher else min)(hits, key=lambda h: h[2])
    return best_run([catalog.load_info(source, info)], metric, higher, "last", schema=schema)


def aggregate_runs(
    catalog: Catalog,
    refs: Sequence[str] | None = None,
    group_by: str | None = None,
    *,
    metric: str,
    where: str | None = None,
    direction: Direction = None,
    ignore: Sequence[str] = (),
    confidence: float = 0.95,
    schema: MetricSchema = DEFAULT_SCHEMA,
) -> Aggregation:
    """Group the given runs (or every discovered run that logs `metric`) by seed-free config or `group_by`."""
    if refs:
        runs = [catalog.load(ref).run for ref in refs]
    else:
        runs = [run for run in _runs(select_runs(catalog, where, schema=schema)) if metric in run.series]
        if not runs:
            raise RunNotFound(f"no discovered run logs '{metric}'", list_keys_hint())
    return aggregate(
        runs,
        metric,
        group_by=group_by,
        higher_is_better=direction_flag(direction),
        ignore=ignore,
        confidence=confidence,
        schema=schema,
    )


def _runs(selected: Sequence[SelectedRun]) -> list[Run]:
    runs = []
    for item in selected:
        run = item.row.run
        if run is not None:
            runs.append(run)
    return runs
