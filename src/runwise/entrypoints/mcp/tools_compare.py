"""The tools over several runs: compare_runs, find_best_run, query_runs.

compare_runs takes the runs it is given; find_best_run and query_runs look at every run under the
allowed roots, loading a run's series only when the expression or metric needs them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from runwise.bootstrap import Runwise
from runwise.domain.compare import DirectionUnknown
from runwise.domain.query import MAX_QUERY_CHARS
from runwise.entrypoints.mcp import views_compare
from runwise.entrypoints.mcp.state import ServerState
from runwise.entrypoints.mcp.toolkit import Budget, KeyName, Roots, answer, reply
from runwise.entrypoints.schemas_compare import BestRunOut, ComparisonOut, QueryResultOut
from runwise.services.compare import MAX_COMPARED_RUNS
from runwise.services.compare import compare_runs as compare_service
from runwise.services.compare import find_best_run as best_service
from runwise.services.query import query_runs as query_service

Expression = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS)]
QUERY_HELP = (
    "A query expression over metrics (last value), config.KEY and run fields (name, state, steps, tags, project, source, runtime), "
    'e.g. val/acc > 80% and config.lr < 0.01 and state == "finished". Keys with other characters go in backticks.'
)


async def compare_runs(
    ctx: Context[ServerState],
    roots: Roots,
    runs: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=1024)]],
        Field(
            min_length=2,
            max_length=MAX_COMPARED_RUNS,
            description=(
                "Two or more runs, the first is the baseline: 'latest', run ids or unique name prefixes from "
                "list_runs, log files or folders under the allowed roots, or SOURCE:REF. Append @STEP to compare "
                "a run as it was at that step."
            ),
        ),
    ],
    key_filter: Annotated[
        list[KeyName] | None,
        Field(max_length=20, description="Keep only keys containing one of these substrings or matching a glob."),
    ] = None,
    threshold_pct: Annotated[
        float | None, Field(ge=0, le=1e6, description="Keep only keys that differ by at least this many percent.")
    ] = None,
    group: Annotated[
        bool, Field(description="Group key rows by prefix (train/, val/...) under a header line each.")
    ] = False,
    config_diff: Annotated[bool, Field(description="Also list the config values that differ.")] = False,
    token_budget: Annotated[
        int, Field(ge=100, le=20_000, description="Most tokens the text may use; key rows beyond three go first.")
    ] = 500,
) -> Annotated[CallToolResult, ComparisonOut]:
    """Runs side by side at their last step (or REF@STEP), each key's change vs the first run and whether
    that is better or worse; optionally the config differences.

    The structured output holds the key rows the text shows; narrow with key_filter or threshold_pct.
    """

    def work(app: Runwise) -> CallToolResult:
        cmp = compare_service(app.catalog, runs, key_filter, threshold_pct, group, config_diff, schema=app.schema)
        fitted = views_compare.comparison_text(
            cmp, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget
        )
        return reply(ComparisonOut.of(cmp, fitted.tokens, fitted.shown), fitted.text)

    args = (tuple(key_filter or ()), threshold_pct, group, config_diff, token_budget)
    return await answer(ctx, roots, "compare_runs", work, run=tuple(runs), args=args)


async def find_best_run(
    ctx: Context[ServerState],
    roots: Roots,
    metric: Annotated[str, Field(min_length=1, max_length=512, description="A metric key exactly as logged.")],
    direction: Annotated[
        Literal["max", "min"] | None,
        Field(description="'max' if higher is better, 'min' if lower; omit to infer it from the metric's role."),
    ] = None,
    where: Annotated[
        str | None,
        Field(min_length=1, max_length=MAX_QUERY_CHARS, description=f"Only runs matching this. {QUERY_HELP}"),
    ] = None,
    mode: Annotated[
        Literal["last", "best"], Field(description="Rank by the last logged value, or by the best value reached.")
    ] = "last",
    token_budget: Annotated[int, Budget] = 400,
) -> Annotated[CallToolResult, BestRunOut]:
    """The best run under the allowed roots for one metric, with the ranking behind the verdict and the
    runs that could not be scored (and why)."""

    def work(app: Runwise) -> CallToolResult:
        try:
            result = best_service(app.catalog, metric, direction, where, mode, schema=app.schema)
        except DirectionUnknown as exc:
            raise exc.hinted("pass direction='max' or 'min'") from None
        text = views_compare.best_text(result, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget)
        return reply(BestRunOut.of(result), text)

    return await answer(ctx, roots, "find_best_run", work)


async def query_runs(
    ctx: Context[ServerState],
    roots: Roots,
    expr: Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS, description=QUERY_HELP)],
    sort: Annotated[
        str | None,
        Field(max_length=512, description="Sort by a metric or config.KEY; prefix '-' for descending, e.g. -val/acc."),
    ] = None,
    limit: Annotated[int, Field(ge=1, le=500, description="Most matching runs to return.")] = 20,
    token_budget: Annotated[int, Budget] = 600,
) -> Annotated[CallToolResult, QueryResultOut]:
    """The runs under the allowed roots that match an expression, with the values it read for each.

    A malformed expression is an error that names the column and marks it with «».
    """

    def work(app: Runwise) -> CallToolResult:
        result = query_service(app.catalog, expr, sort, limit, schema=app.schema)
        text = views_compare.query_text(result, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget)
        return reply(QueryResultOut.of(result), text)

    return await answer(ctx, roots, "query_runs", work)
