"""`runwise watch`: follow one run (REF) or every run under --dir, one line per event, until told to stop.

Exit codes for scripts and CI: 0 when the watch ended with no critical event (`--until finished`, `--for`,
Ctrl-C), 1 when a critical event was seen (a NaN, a crash, a critical anomaly), 2 for a usage or input error.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs

from runwise.config import Settings
from runwise.domain.errors import InvalidInput
from runwise.domain.watch import WatchEvent
from runwise.entrypoints.cli.output import Context


def watch_arguments(parser: Any) -> None:
    parser.add_argument(
        "--until", choices=["finished", "critical"], default=None,
        help="stop when every watched run has ended (finished) or at the first critical event",
    )  # fmt: skip
    parser.add_argument(
        "--notify", action="append", default=[], metavar="slack|exec:CMD",
        help="also send each problem, stall and end: to Slack (RUNWISE_SLACK_WEBHOOK) or to a command's stdin as JSON",
    )  # fmt: skip
    parser.add_argument("--objective", metavar="KEY", help="the metric whose new best values are reported")
    parser.add_argument("--poll", type=float, metavar="SECONDS", help="look every N seconds instead of on file events")
    parser.add_argument("--for", dest="for_seconds", type=float, metavar="SECONDS", help="stop after this long")


def notifiers(settings: Settings, specs: list[str]) -> list[Any]:
    """The notifiers named by --notify values (and by `runwise notify CHANNEL`)."""
    out: list[Any] = []
    for spec in specs:
        if spec == "slack":
            from runwise.adapters.notifiers.slack import SlackNotifier

            url = settings.slack_webhook
            if not url:
                raise InvalidInput(
                    "sending to Slack needs a webhook", "set RUNWISE_SLACK_WEBHOOK to the incoming-webhook URL"
                )
            out.append(SlackNotifier(url))
        elif spec.startswith("exec:"):
            from runwise.adapters.notifiers.command import CommandNotifier

            out.append(CommandNotifier(spec.removeprefix("exec:")))
        else:
            raise InvalidInput(f"--notify {spec}: unknown notifier", "use slack or exec:COMMAND")
    return out


def cmd_watch(ctx: Context, given: dict[str, Any]) -> int:
    from runwise.adapters.fswatch import change_waiter
    from runwise.domain.analysis import analyze
    from runwise.entrypoints.capabilities import BY_NAME
    from runwise.entrypoints.cli.capability_command import validated
    from runwise.services.notify import Dispatcher
    from runwise.services.watch import Watcher, run_watch

    args, app = ctx.args, ctx.app
    budget = {"token_budget": app.settings.budget} if app.settings.budget is not None else {}
    stall = float(validated(BY_NAME["events"], {**given, **budget}).stall_minutes)  # type: ignore[attr-defined]
    analyzer = app.analyzer or analyze
    watcher = Watcher(
        app.catalog,
        app.schema,
        lambda run, schema: analyzer(run, schema).anomalies,
        ref=given.get("run"),
        stall_after_s=stall * 60,
        objective=args.objective,
    )
    from runwise.domain.labels import KeyLabels

    labels = KeyLabels(app.schema.display_names)
    dispatcher = Dispatcher(
        notifiers(app.settings, args.notify), link_for=lambda run: _link(watcher, run), labels=labels
    )
    watcher.start()
    if not args.quiet:
        count = len(watcher.runs)
        what = (
            f"run {given['run']}"
            if given.get("run")
            else f"{count} run{'s' if count != 1 else ''} under {app.settings.dir}"
        )
        print(f"watching {what} (Ctrl-C to stop)", file=sys.stderr, flush=True)

    def show(events: list[WatchEvent]) -> None:
        for event in events:
            ctx.out.write(_line(ctx, event) + "\n")
        ctx.out.flush()
        for problem in dispatcher.dispatch(events) + _drain(watcher.warnings):
            print(f"warning: {problem}", file=sys.stderr, flush=True)

    waiter = change_waiter(args.poll)
    try:
        outcome = run_watch(watcher, waiter, show, until=args.until, deadline_s=args.for_seconds)
    except KeyboardInterrupt:
        return 0
    finally:
        waiter.close()
    return outcome.exit_code


def _line(ctx: Context, event: WatchEvent) -> str:
    if ctx.format == "json":
        return json.dumps(attrs.asdict(event), allow_nan=False, default=str)
    return f"{event.run_name}: {ctx.renderer.event_line(event)}"


def _drain(warnings: list[str]) -> list[str]:
    out = list(warnings)
    warnings.clear()
    return out


def _link(watcher: Any, run: str) -> str | None:
    watched = watcher.runs.get(run)
    return None if watched is None else watched.tracker.info.url
