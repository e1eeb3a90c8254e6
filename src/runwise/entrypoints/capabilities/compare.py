"""Answers over several runs: compare, best, query, aggregate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import attrs
from pydantic import Field

from runwise.domain.compare import BestRun, Comparison
from runwise.domain.query import MAX_QUERY_CHARS
from runwise.entrypoints.capabilities.declaration import (
    REF_HELP,
    Budget,
    Capability,
    Cli,
    KeyName,
    Metric,
    Params,
    budget_param,
    run_refs,
)
from runwise.entrypoints.structured.compare import AggregationOut, BestRunOut, ComparisonOut, QueryResultOut
from runwise.services.compare import MAX_COMPARED_RUNS, aggregate_runs, compare_runs, find_best_run
from runwise.services.fitting import Fitted
from runwise.services.query import QueryResult, query_runs

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

QUERY_HELP = (
    "An expression over metrics (last value), config.KEY and run fields (name, state, steps, tags, project, "
    'source, runtime), e.g. val/acc > 80% and config.lr < 0.01 and state == "finished"; odd keys in backticks.'
)
Where = Annotated[
    str | None,
    Field(min_length=1, max_length=MAX_QUERY_CHARS, description="Only runs matching this query expression."),
    Cli(("--where",), metavar="EXPR"),
]


# compare ------------------------------------------------------------------------------------------
class CompareParams(Params):
    runs: run_refs(  # type: ignore[valid-type]
        "Two or more runs (REF or REF@STEP), the first is the baseline.", min_length=2, max_length=MAX_COMPARED_RUNS
    )
    key_filter: Annotated[
        list[KeyName] | None,
        Field(max_length=20, description="Only keys containing one of these or matching a glob."),
        Cli(("-f", "--filter"), repeat=True),
    ] = None
    threshold_pct: Annotated[
        float | None,
        Field(ge=0, le=1e6, description="Only keys differing by at least this many percent."),
        Cli(("-t", "--threshold"), metavar="PCT"),
    ] = None
    group: Annotated[bool, Field(description="Group key rows by prefix."), Cli(("-g", "--group"))] = False
    config_diff: Annotated[bool, Field(description="Also config values that differ.")] = False
    by_commit: Annotated[bool, Cli(("--by-commit",), help="compare the runs' git commits, each by its best runs")] = (
        False
    )
    token_budget: budget_param(low=100) = 500  # type: ignore[valid-type]


def _compare(app: Runwise, p: CompareParams) -> Comparison:
    return compare_runs(app.catalog, p.runs, p.key_filter, p.threshold_pct, p.group, p.config_diff,
                        schema=app.schema, by_commit=p.by_commit)  # fmt: skip


def _comparison_out(cmp: Comparison, fit: Fitted) -> ComparisonOut:
    return ComparisonOut.of(cmp, fit.tokens, fit.count("keys") if cmp.keys else 0, fit.count("config"))


COMPARE = Capability(
    name="compare",
    tool="compare_runs",
    title="Compare runs",
    help="two or more runs side by side (REF@STEP compares at a step)",
    description="Runs or commits side by side at the last step (or REF@STEP): each key's change vs the first, "
    "better or worse.",
    params=CompareParams,
    output=ComparisonOut,
    use=_compare,
    sections=lambda r, res, p: r.comparison_sections(res),
    structured=_comparison_out,
    cli_fits=True,
    reads=lambda p: tuple(p.runs),
)


# best ---------------------------------------------------------------------------------------------
class BestParams(Params):
    metric: Metric
    direction: Annotated[
        Literal["max", "min"] | None,
        Field(description="'max' if higher is better, 'min' if lower; omit to infer from the metric's role."),
        Cli(choices={"max": "--max", "min": "--min"}),
    ] = None
    where: Where = None
    mode: Annotated[
        Literal["last", "best"],
        Field(description="Rank by the last value or the best reached."),
        Cli(choices={"last": "--last", "best": "--best"}),
    ] = "last"
    token_budget: Budget = 400


def _best_out(result: BestRun, fit: Fitted) -> BestRunOut:
    return BestRunOut.of(result, limit=fit.count("ranking"))


BEST = Capability(
    name="best",
    tool="find_best_run",
    title="Find the best run for a metric",
    help="the best discovered run for a metric",
    description="The best run under the roots for one metric, the ranking behind it, and runs not scored (why).",
    params=BestParams,
    output=BestRunOut,
    use=lambda app, p: find_best_run(app.catalog, p.metric, p.direction, p.where, p.mode, schema=app.schema),
    sections=lambda r, res, p: r.best_sections(res),
    structured=_best_out,
)


# query --------------------------------------------------------------------------------------------
class QueryParams(Params):
    expr: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description=QUERY_HELP), Cli(metavar="EXPR")]
    sort: Annotated[
        str | None, Field(max_length=512, description="Sort by a metric or config.KEY; '-' prefix descends.")
    ] = None
    limit: Annotated[int, Field(ge=1, le=500, description="Most matching runs.")] = 20
    token_budget: Budget = 600


def _query_out(result: QueryResult, fit: Fitted) -> QueryResultOut:
    return QueryResultOut.of(attrs.evolve(result, matches=result.matches[: fit.count("matches")]))


QUERY = Capability(
    name="query",
    tool="query_runs",
    title="Query runs",
    help='runs matching an expression, e.g. "val/acc > 80%% and config.lr < 0.01"',
    description="Runs under the roots matching an expression, with the values it read. A malformed expression "
    "is an error marking the column with «».",
    params=QueryParams,
    output=QueryResultOut,
    use=lambda app, p: query_runs(app.catalog, p.expr, p.sort, p.limit, schema=app.schema),
    sections=lambda r, res, p: r.query_sections(res),
    structured=_query_out,
)


# aggregate ----------------------------------------------------------------------------------------
class AggregateParams(Params):
    metric: Metric
    runs: run_refs(  # type: ignore[valid-type]
        "Runs to aggregate; omit for every run logging metric.",
        min_length=None,
        max_length=MAX_COMPARED_RUNS,
        optional=True,
    ) = None
    group_by: Annotated[
        str | None,
        Field(min_length=1, max_length=512, description="Group by this config key instead of seed-free config."),
        Cli(("--group-by",), metavar="KEY"),
    ] = None
    where: Where = None
    token_budget: Budget = 600


def _aggregate(app: Runwise, p: AggregateParams) -> object:
    group_by = p.group_by.removeprefix("config.") if p.group_by else None
    return aggregate_runs(app.catalog, p.runs or None, group_by, metric=p.metric, where=p.where, schema=app.schema)


AGGREGATE = Capability(
    name="aggregate",
    tool="aggregate_runs",
    title="Aggregate runs over seeds",
    help="mean ± std and 95%% CI over seeds (or --group-by)",
    description="Runs that differ only by seed (or grouped by a config key): mean ± std and 95% CI of a metric's "
    "final and best values.",
    params=AggregateParams,
    output=AggregationOut,
    use=_aggregate,
    sections=lambda r, res, p: r.aggregation_sections(res),
    structured=lambda res, fit: AggregationOut.of(attrs.evolve(res, groups=res.groups[: fit.count("groups")])),
)

CAPABILITIES = (COMPARE, BEST, QUERY, AGGREGATE)
__all__ = ["CAPABILITIES", "REF_HELP"]
