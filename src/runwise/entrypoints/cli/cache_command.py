"""`runwise cache info|clear`: where parsed runs are kept, how much room they take, and emptying it."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from runwise.entrypoints.cli.command import Command

if TYPE_CHECKING:
    from runwise.entrypoints.cli.output import Context


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["info", "clear"], nargs="?", default="info")


def cmd_cache(ctx: Context) -> int:
    from runwise.adapters.cache.answers import AnswerStore
    from runwise.bootstrap import cache_folder, run_store

    settings = ctx.settings
    store = run_store(settings)
    answers = AnswerStore(cache_folder(settings))
    if ctx.args.action == "clear":
        answers.clear()
        removed = store.clear()
        _say(
            ctx, {"removed": removed, "location": store.stats().location}, f"removed {removed} cached {_runs(removed)}"
        )
        return 0
    stats = store.stats()
    facts = {
        "location": stats.location,
        "enabled": settings.cache,
        "entries": stats.entries,
        "results": stats.results,
        "answers": answers.count(),
        "bytes": stats.bytes,
        "max_bytes": stats.max_bytes,
        "format_version": stats.format_version,
    }
    state = "" if settings.cache else " (off for this call)"
    text = (
        f"cache: {stats.location}{state}\n"
        f"{stats.entries} parsed {_runs(stats.entries)} and {stats.results} results (analyses, summaries), "
        f"{facts['answers']} CLI answers, {stats.bytes / 2**20:.1f} MiB of {stats.max_bytes / 2**20:.0f} MiB "
        f"(least recently used go first); format {stats.format_version}"
    )
    _say(ctx, facts, text)
    return 0


def _say(ctx: Context, facts: dict[str, object], text: str) -> None:
    if ctx.format == "json":
        ctx.out.write(json.dumps(facts, indent=2) + "\n")
    else:
        ctx.out.write(text + "\n")


def _runs(count: int) -> str:
    return "run" if count == 1 else "runs"


COMMAND = Command(
    name="cache",
    help="show (info) or empty (clear) the cache of parsed runs",
    description="Parsed runs are kept in the user cache folder (RUNWISE_CACHE_DIR to move it, --no-cache or "
    "RUNWISE_NO_CACHE=1 to do without), so a second call on an unchanged run does not parse the log again.",
    arguments=_arguments,
    run=cmd_cache,
)
