"""Commands over several runs: compare, best, query, aggregate."""

from __future__ import annotations

import argparse
from typing import Any

from runwise.entrypoints.cli.output import Context

DEFAULT_COMPARE_BUDGET = 500


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Any]:  # type: ignore[type-arg]
    p = sub.add_parser("compare", parents=[common], help="two or more runs side by side (REF@STEP compares at a step)")
    p.add_argument("refs", nargs="+", metavar="REF")
    p.add_argument("-f", "--filter", action="append", help="keep keys matching this substring or glob (repeatable)")
    p.add_argument("-t", "--threshold", type=float, metavar="PCT", help="keep only differences of at least PCT percent")
    p.add_argument("-g", "--group", action="store_true", help="group keys by prefix")
    p.add_argument("--config-diff", action="store_true", help="also list the config values that differ")

    p = sub.add_parser("best", parents=[common], help="the best discovered run for a metric")
    p.add_argument("metric")
    d = p.add_mutually_exclusive_group()
    d.add_argument("--max", dest="direction", action="store_const", const="max", help="higher is better")
    d.add_argument("--min", dest="direction", action="store_const", const="min", help="lower is better")
    m = p.add_mutually_exclusive_group()
    m.add_argument("--last", dest="mode", action="store_const", const="last", help="rank by last value (default)")
    m.add_argument("--best", dest="mode", action="store_const", const="best", help="rank by best value reached")
    p.add_argument("--where", metavar="EXPR", help="only runs matching this query expression")

    p = sub.add_parser(
        "query", parents=[common], help='runs matching an expression, e.g. "val/acc > 80%% and config.lr < 0.01"'
    )
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--sort", help="sort key, e.g. -val/acc (descending) or config.lr")
    p.add_argument("--limit", type=int, default=20)

    p = sub.add_parser("aggregate", parents=[common], help="mean ± std and 95%% CI over seeds (or --group-by)")
    p.add_argument("metric")
    p.add_argument("refs", nargs="*", metavar="REF", help="runs to aggregate (default: every run logging METRIC)")
    p.add_argument("--group-by", metavar="KEY", help="a config key, e.g. config.lr or lr")
    p.add_argument("--where", metavar="EXPR")
    return {"compare": cmd_compare, "best": cmd_best, "query": cmd_query, "aggregate": cmd_aggregate}


def cmd_compare(ctx: Context) -> int:
    from runwise.domain.budget import fit, render_sections
    from runwise.services.compare import compare_runs

    a = ctx.args
    cmp = compare_runs(ctx.app.catalog, a.refs, a.filter, a.threshold, a.group, a.config_diff, schema=ctx.app.schema)
    renderer = ctx.app.renderer("md" if ctx.format == "json" else ctx.format)
    budget = ctx.app.settings.budget or DEFAULT_COMPARE_BUDGET
    kept, tokens = fit(renderer.comparison_sections(cmp), ctx.app.tokens.count, budget)
    shown = next((len(s.visible_items) for s in kept if s.name == "keys"), 0)

    def model() -> Any:
        from runwise.entrypoints.schemas_compare import ComparisonOut

        return ComparisonOut.of(cmp, tokens, shown if cmp.keys else 0)

    ctx.emit(model, render_sections(kept))
    return 0


def cmd_best(ctx: Context) -> int:
    from runwise.domain.compare import DirectionUnknown
    from runwise.services.compare import find_best_run

    a = ctx.args
    try:
        result = find_best_run(ctx.app.catalog, a.metric, a.direction, a.where, a.mode or "last", schema=ctx.app.schema)
    except DirectionUnknown as exc:
        raise exc.hinted("pass --max or --min") from None

    def model() -> Any:
        from runwise.entrypoints.schemas_compare import BestRunOut

        return BestRunOut.of(result)

    ctx.emit(model, lambda: ctx.renderer.best(result))
    return 0


def cmd_query(ctx: Context) -> int:
    from runwise.services.query import query_runs

    a = ctx.args
    result = query_runs(ctx.app.catalog, a.expr, a.sort, a.limit, schema=ctx.app.schema)

    def model() -> Any:
        from runwise.entrypoints.schemas_compare import QueryResultOut

        return QueryResultOut.of(result)

    ctx.emit(model, lambda: ctx.renderer.query(result))
    return 0


def cmd_aggregate(ctx: Context) -> int:
    from runwise.services.compare import aggregate_runs

    a = ctx.args
    group_by = a.group_by.removeprefix("config.") if a.group_by else None
    agg = aggregate_runs(
        ctx.app.catalog, a.refs or None, group_by, metric=a.metric, where=a.where, schema=ctx.app.schema
    )

    def model() -> Any:
        from runwise.entrypoints.schemas_compare import AggregationOut

        return AggregationOut.of(agg)

    ctx.emit(model, lambda: ctx.renderer.aggregation(agg))
    return 0
