"""Commands of the analysis engine: anomalies, stability, health."""

from __future__ import annotations

import argparse
from typing import Any

from runwise.entrypoints.cli.output import Context

EXIT_CRITICAL = 1


def _keys_arg(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Any]:  # type: ignore[type-arg]
    p = sub.add_parser("anomalies", parents=[common], help="every anomaly episode, with lr analysis and next steps")
    p.add_argument("ref", metavar="REF")
    p.add_argument("--severity", choices=["info", "warning", "critical"], help="only this severity or worse")
    p = sub.add_parser("stability", parents=[common], help="rolling std and coefficient of variation per key")
    p.add_argument("ref", metavar="REF")
    p.add_argument("-k", "--keys", type=_keys_arg, help="comma-separated keys (default: the key metrics)")
    p.add_argument("--window", type=int, help="rolling window in points (default: ~1%% of the run)")
    p = sub.add_parser("health", parents=[common], help="healthy / warning / critical and the main finding")
    p.add_argument("ref", metavar="REF", nargs="?", default="latest")
    p.add_argument("--strict", action="store_true", help="exit 1 when the run is critical")
    return {"anomalies": cmd_anomalies, "stability": cmd_stability, "health": cmd_health}


def cmd_anomalies(ctx: Context) -> int:
    from runwise.services.analysis import analyze_run

    result = analyze_run(ctx.app.catalog, ctx.args.ref, ctx.app.schema)
    analysis = result.analysis.at_least(ctx.args.severity)

    def model() -> Any:
        from runwise.entrypoints.schemas_analysis import AnomaliesOut

        return AnomaliesOut.of(result.info, analysis)

    ctx.emit(model, lambda: ctx.renderer.anomalies(result.info, analysis, result.step))
    return 0


def cmd_stability(ctx: Context) -> int:
    from runwise.services.analysis import run_stability

    info, items = run_stability(ctx.app.catalog, ctx.args.ref, ctx.args.keys, ctx.app.schema, ctx.args.window)

    def model() -> Any:
        from runwise.entrypoints.schemas_analysis import StabilityOut

        return StabilityOut.of(info, items)

    ctx.emit(model, lambda: ctx.renderer.stability(info, items))
    return 0


def cmd_health(ctx: Context) -> int:
    from runwise.services.analysis import run_health

    info, health = run_health(ctx.app.catalog, ctx.args.ref, ctx.app.schema)

    def model() -> Any:
        from runwise.entrypoints.schemas_analysis import HealthOut

        return HealthOut.of(info, health)

    ctx.emit(model, lambda: ctx.renderer.health(info, health))
    return EXIT_CRITICAL if ctx.args.strict and health.status == "critical" else 0
