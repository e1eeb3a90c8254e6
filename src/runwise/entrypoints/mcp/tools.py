"""The inspection tools: runs, keys, summary, history, statistics and config of one run.

Typed, bounded parameters in; the pydantic output model plus a budgeted markdown text out. Every tool
is read-only and about runs under the allowed roots.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from runwise.bootstrap import Runwise
from runwise.domain.errors import InvalidInput
from runwise.domain.inspect import History
from runwise.entrypoints.mcp import views
from runwise.entrypoints.mcp.state import ServerState
from runwise.entrypoints.mcp.toolkit import Budget, KeyName, Roots, RunArg, answer, reply, unique
from runwise.entrypoints.schemas import ConfigOut, HistoryOut, KeyListOut, RunListOut, RunSummaryOut, StatsOut
from runwise.services import inspect as inspect_service
from runwise.services.summarize import summarize


async def list_runs(
    ctx: Context[ServerState],
    roots: Roots,
    source: Annotated[
        str | None, Field(max_length=64, description="Only runs from this source, e.g. 'jsonl' or 'tensorboard'.")
    ] = None,
    project: Annotated[str | None, Field(max_length=256, description="Only runs of this project.")] = None,
    state: Annotated[
        Literal["running", "finished", "crashed", "unknown"] | None, Field(description="Only runs in this state.")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=500, description="Most runs to return, newest first.")] = 20,
    token_budget: Annotated[int, Budget] = 500,
) -> Annotated[CallToolResult, RunListOut]:
    """Step 1 of the zoom-in: the runs under the allowed roots, newest first, with state and last step.

    Use a run's id (or 'latest') as `run` in the other tools.
    """

    def work(app: Runwise) -> CallToolResult:
        found = inspect_service.list_runs(app.catalog, source=source, project=project, state=state, limit=None)
        runs = found[:limit]
        filters = {"source": source, "project": project, "state": state}
        text = views.runs_text(
            runs,
            app.catalog.roots,
            total=len(found),
            renderer=app.renderer("mcp"),
            counter=app.tokens,
            budget=token_budget,
            filters={k: v for k, v in filters.items() if v is not None},
        )
        notes = [f"Note: {n.line()}" for n in app.catalog.notices()]
        return reply(RunListOut.of(runs, total=len(found)), "\n".join([text, *notes]) if notes else text)

    return await answer(ctx, roots, "list_runs", work)


async def list_keys(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    prefix: Annotated[
        str | None, Field(max_length=256, description="Only keys starting with this, e.g. 'val/'.")
    ] = None,
    token_budget: Annotated[int, Budget] = 300,
) -> Annotated[CallToolResult, KeyListOut]:
    """Step 2: the metric keys a run logged, grouped by prefix, with point counts and step ranges.

    Key names are exactly as logged; pass them to get_stats and get_history.
    """

    def work(app: Runwise) -> CallToolResult:
        listing = inspect_service.keys(app.catalog, run, app.schema)
        if prefix:
            listing = views.filter_keys(listing, prefix)
            if not listing.total:
                raise InvalidInput(
                    f"run '{listing.run.name}' has no keys starting with '{prefix}'",
                    "call list_keys without prefix to see every key",
                )
        text = views.keys_text(listing, run, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget)
        return reply(KeyListOut.of(listing), text)

    return await answer(ctx, roots, "list_keys", work, run=run, args=(prefix, token_budget))


async def summarize_run(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    token_budget: Annotated[
        int, Field(ge=100, le=20_000, description="Most tokens the summary may use; least important parts go first.")
    ] = 400,
) -> Annotated[CallToolResult, RunSummaryOut]:
    """Step 3: how a run is going, in a few hundred tokens: headline, key metrics (last, best, trend,
    sparkline), anomalies and what to do next. Computed on every logged point.

    Call get_stats for exact numbers on named keys and get_history only when the curve's shape matters.
    """

    def work(app: Runwise) -> CallToolResult:
        fitted = summarize(
            app.catalog,
            run,
            renderer=app.renderer("mcp"),
            counter=app.tokens,
            schema=app.schema,
            analyzer=app.analyzer,
            budget=token_budget,
        )
        return reply(RunSummaryOut.of(fitted.summary, fitted.tokens), fitted.text)

    return await answer(ctx, roots, "summarize_run", work, run=run, args=token_budget)


async def get_history(
    ctx: Context[ServerState],
    roots: Roots,
    keys: Annotated[
        list[KeyName],
        Field(min_length=1, max_length=20, description="Metric keys exactly as list_keys shows them."),
    ],
    run: RunArg = "latest",
    samples: Annotated[
        int, Field(ge=2, le=inspect_service.MAX_SAMPLES, description="Points per key; extremes and NaNs are kept.")
    ] = inspect_service.DEFAULT_SAMPLES,
    from_step: Annotated[int | None, Field(ge=0, description="First step to include.")] = None,
    to_step: Annotated[int | None, Field(ge=0, description="Last step to include.")] = None,
    align: Annotated[
        bool,
        Field(description="Read keys logged at different rates (e.g. val every 1000 steps) on one shared step grid."),
    ] = False,
    token_budget: Annotated[int, Budget] = 600,
) -> Annotated[CallToolResult, HistoryOut]:
    """Step 4, only when needed: downsampled step:value pairs of named keys, optionally between two steps.

    Downsampling keeps each bucket's min, max and any NaN/Inf, so spikes survive. If the answer would
    exceed token_budget, fewer samples are returned and the text says so.
    """

    def work(app: Runwise) -> CallToolResult:
        def load(n: int) -> History:
            return inspect_service.get_history(
                app.catalog, run, unique(keys), app.schema, samples=n, start=from_step, stop=to_step, aligned=align
            )

        history, text = views.fitted_history(
            load, samples, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget
        )
        return reply(HistoryOut.of(history), text)

    args = (tuple(keys), samples, from_step, to_step, align, token_budget)
    return await answer(ctx, roots, "get_history", work, run=run, args=args)


async def get_stats(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    keys: Annotated[
        list[KeyName] | None,
        Field(max_length=200, description="Metric keys exactly as list_keys shows them; omit for every key."),
    ] = None,
    token_budget: Annotated[int, Budget] = 600,
) -> Annotated[CallToolResult, StatsOut]:
    """Exact statistics over every logged point: min/max (with steps), mean, last, best and NaN/Inf count per key."""

    def work(app: Runwise) -> CallToolResult:
        table = inspect_service.get_stats(app.catalog, run, unique(keys or ()), app.schema)
        text = views.stats_text(table, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget)
        return reply(StatsOut.of(table), text)

    return await answer(ctx, roots, "get_stats", work, run=run, args=(tuple(keys or ()), token_budget))


async def get_config(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    token_budget: Annotated[int, Budget] = 500,
) -> Annotated[CallToolResult, ConfigOut]:
    """The run's recorded config (hyperparameters), flattened to dotted keys in the text."""

    def work(app: Runwise) -> CallToolResult:
        info, config = inspect_service.get_config(app.catalog, run)
        text = views.config_text(info, config, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget)
        return reply(ConfigOut.of(info, config), text)

    return await answer(ctx, roots, "get_config", work, run=run, args=token_budget)
