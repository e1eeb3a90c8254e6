"""Commands for one run: list, latest, run, keys, history, stats, config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from runwise.entrypoints.cli.output import Context
from runwise.services import inspect as inspect_service
from runwise.services.summarize import summarize

Handler = Callable[[Context], int]


class _Wire:
    """The pydantic wire models, imported on first use: text output never pays for them."""

    def __getattr__(self, name: str) -> Any:
        from runwise.entrypoints import schemas

        return getattr(schemas, name)


wire = _Wire()


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _keys_arg(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:  # type: ignore[type-arg]
    p = sub.add_parser("list", parents=[common], help="list discovered runs, newest first")
    p.add_argument("--source", help="only runs from this source (jsonl, tensorboard, wandb, ...)")
    p.add_argument("--project", help="only runs of this project")
    p.add_argument("--state", choices=["running", "finished", "crashed", "unknown"])
    p.add_argument("--limit", type=_positive, default=50, help="at most this many runs (default %(default)s)")

    sub.add_parser("latest", parents=[common], help="summarise the most recent run")
    p = sub.add_parser("run", parents=[common], help="summarise a run: REF is latest, an id, a name prefix, a path...")
    p.add_argument("ref", metavar="REF")
    p = sub.add_parser("keys", parents=[common], help="list a run's metric keys, grouped by prefix")
    p.add_argument("ref", metavar="REF")
    p = sub.add_parser("history", parents=[common], help="downsampled history of keys (extremes kept)")
    p.add_argument("ref", metavar="REF")
    p.add_argument("-k", "--keys", type=_keys_arg, required=True, help="comma-separated keys")
    p.add_argument(
        "--samples",
        type=_positive,
        default=inspect_service.DEFAULT_SAMPLES,
        help="points per key (default %(default)s)",
    )
    p.add_argument("--from", dest="start", type=int, help="first step")
    p.add_argument("--to", dest="stop", type=int, help="last step")
    p.add_argument("--align", action="store_true", help="read keys logged at different rates on one step grid")
    p = sub.add_parser("stats", parents=[common], help="min/max/mean/last/best and NaN counts per key")
    p.add_argument("ref", metavar="REF")
    p.add_argument("-k", "--keys", type=_keys_arg, help="comma-separated keys (default: all)")
    p = sub.add_parser("config", parents=[common], help="a run's config")
    p.add_argument("ref", metavar="REF")
    return {
        "list": cmd_list,
        "latest": cmd_latest,
        "run": cmd_run,
        "keys": cmd_keys,
        "history": cmd_history,
        "stats": cmd_stats,
        "config": cmd_config,
    }


def cmd_list(ctx: Context) -> int:
    a = ctx.args
    runs = inspect_service.list_runs(ctx.app.catalog, source=a.source, project=a.project, state=a.state, limit=a.limit)
    ctx.emit(lambda: wire.RunListOut.of(runs), ctx.renderer.runs(runs))
    if not getattr(a, "quiet", False):
        for notice in ctx.app.catalog.notices():  # what discovery passed over, never silently
            sys.stderr.write(f"runwise: warning: {notice.line()}\n")
    return 0


def _summary(ctx: Context, ref: str) -> int:
    app = ctx.app
    fitted = summarize(
        app.catalog,
        ref,
        renderer=ctx.renderer if ctx.format != "json" else app.renderer("md"),
        counter=app.tokens,
        schema=app.schema,
        analyzer=app.analyzer,
        budget=app.settings.budget,
    )
    ctx.emit(lambda: wire.RunSummaryOut.of(fitted.summary, fitted.tokens), fitted.text)
    return 0


def cmd_latest(ctx: Context) -> int:
    return _summary(ctx, "latest")


def cmd_run(ctx: Context) -> int:
    return _summary(ctx, ctx.args.ref)


def cmd_keys(ctx: Context) -> int:
    listing = inspect_service.keys(ctx.app.catalog, ctx.args.ref, ctx.app.schema)
    ctx.emit(lambda: wire.KeyListOut.of(listing), ctx.renderer.keys(listing, ctx.args.ref))
    return 0


def cmd_history(ctx: Context) -> int:
    a = ctx.args
    hist = inspect_service.get_history(
        ctx.app.catalog, a.ref, a.keys, ctx.app.schema, samples=a.samples, start=a.start, stop=a.stop, aligned=a.align
    )
    ctx.emit(lambda: wire.HistoryOut.of(hist), ctx.renderer.history(hist))
    return 0


def cmd_stats(ctx: Context) -> int:
    table = inspect_service.get_stats(ctx.app.catalog, ctx.args.ref, ctx.args.keys, ctx.app.schema)
    ctx.emit(lambda: wire.StatsOut.of(table), ctx.renderer.stats(table))
    return 0


def cmd_config(ctx: Context) -> int:
    info, config = inspect_service.get_config(ctx.app.catalog, ctx.args.ref)
    ctx.emit(lambda: wire.ConfigOut.of(info, config), ctx.renderer.config(info, config))
    return 0
