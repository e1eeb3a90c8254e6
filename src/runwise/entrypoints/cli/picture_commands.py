"""The CLI sides of the drawing capabilities: `report` writes a file (HTML or markdown), `plot` draws in the terminal.

Both are declared with the other capabilities (entrypoints/capabilities/pictures.py): their flags come from
there; this module adds `-o` and `--height`, writes the report file and draws the terminal chart.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from runwise.entrypoints.cli.output import Context

PLOT_HEIGHT = 14  # rows of one chart's plot area
MIN_WIDTH, MAX_WIDTH = 40, 240


def _rows(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 4 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 4 and 100, got {value}")
    return value


def report_arguments(p: argparse.ArgumentParser) -> None:
    """The report's CLI-only flag: where the file goes (the MCP tool writes nothing)."""
    p.add_argument("-o", "--output", help="file to write (default: runwise-report-<run>.html here; '-' for stdout)")


def plot_arguments(p: argparse.ArgumentParser) -> None:
    """The terminal chart's own flag (the declared parameters come from the declaration)."""
    p.add_argument(
        "--height", dest="rows", type=_rows, default=PLOT_HEIGHT, help="rows per chart (default %(default)s)"
    )


def cmd_report(ctx: Context, given: dict[str, Any]) -> int:
    """Write the whole report (HTML with charts, or markdown with --format md) to a file, never into a run's folder."""
    from runwise.entrypoints.capabilities.pictures import REPORT
    from runwise.entrypoints.cli.capability_command import validated
    from runwise.services.report import check_output_path, default_report_name

    args = ctx.args
    report = REPORT.use(ctx.app, validated(REPORT, given))
    renderer = _report_renderer("md" if ctx.format == "md" else "html")
    document = renderer.render(report)
    if args.output == "-":
        ctx.out.write(document)
        return 0
    target = Path(args.output or default_report_name(report, renderer.suffix)).expanduser()
    resolved = os.path.realpath(target)
    check_output_path(resolved, report, resolve=os.path.realpath, is_file=os.path.isfile)
    if target.is_dir():
        from runwise.domain.errors import InvalidInput

        raise InvalidInput(f"{target} is a folder", "pass -o with a file name, e.g. -o report.html")
    data = document.encode("utf-8")
    target.write_bytes(data)
    if ctx.format == "json":
        summary = {"path": str(target), "format": renderer.format, "bytes": len(data), "runs": len(report.runs)}
        ctx.out.write(json.dumps(summary) + "\n")
    else:
        charts = f", {len(report.charts)} charts" if renderer.format == "html" else ""
        ctx.out.write(f"wrote {target} ({_size(len(data))}{charts}, {len(report.runs)} run(s))\n")
    return 0


def _report_renderer(fmt: str) -> Any:
    from runwise.adapters.renderers.report import HtmlReportRenderer, MarkdownReportRenderer

    return MarkdownReportRenderer(charts_from="runwise report REF") if fmt == "md" else HtmlReportRenderer()


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"


def cmd_plot(ctx: Context, given: dict[str, Any]) -> int:
    from runwise.adapters.renderers.terminal_chart import render_terminal
    from runwise.entrypoints.capabilities.pictures import PLOT, PlotParams
    from runwise.entrypoints.cli.capability_command import validated
    from runwise.services.charts import plot

    app, args = ctx.app, ctx.args
    p = validated(PLOT, given)
    assert isinstance(p, PlotParams)
    width = terminal_width(ctx.out)
    color = bool(app.settings.color) and _is_tty(ctx.out)
    charts = plot(
        app.catalog,
        p.refs(),
        p.keys,
        app.schema,
        analyzer=app.analyzer,
        columns=max(20, width - 14),
        start=p.from_step,
        stop=p.to_step,
        log=p.log,
    )
    if ctx.format == "json":
        ctx.out.write(json.dumps({"alt": charts.alt_text(), "keys": [c.key for c in charts.charts]}) + "\n")
        return 0
    ctx.out.write(render_terminal(charts.charts, width=width, height=args.rows, color=color, ascii_only=not color))
    return 0


def terminal_width(out: Any) -> int:
    """The terminal's width (COLUMNS wins, as for every terminal program); 100 when there is no terminal."""
    size = shutil.get_terminal_size((100, 24)) if out in (sys.stdout, sys.__stdout__) else os.terminal_size((100, 24))
    columns = os.environ.get("COLUMNS")
    width = int(columns) if columns and columns.isdigit() else size.columns
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _is_tty(out: Any) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError):
        return False
