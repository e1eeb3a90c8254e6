"""Pictures of runs: `plot` (MCP plot_metrics: a PNG; CLI: a terminal chart) and `report` (MCP report_runs: the
markdown report; CLI: the self-contained HTML page with charts, or the markdown)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import attrs
from pydantic import Field

from runwise.domain.budget import Section
from runwise.domain.report import Report
from runwise.domain.shared_repr import fields_repr
from runwise.entrypoints.capabilities.declaration import (
    Capability,
    Cli,
    CliSide,
    KeyName,
    OneOrMoreRuns,
    Params,
    budget_param,
    run_refs,
)
from runwise.entrypoints.structured.inspect import RunRefOut
from runwise.entrypoints.structured.pictures import ChartOut, PlotOut, ReportOut
from runwise.services.charts import MAX_KEYS, MAX_RUNS, ChartSet, plot
from runwise.services.fitting import Fitted
from runwise.services.report import build_report

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

MAX_IMAGE_KEYS = 4


class PlotParams(OneOrMoreRuns):
    runs: run_refs("Several runs on the same axes, instead of run.", max_length=MAX_RUNS, optional=True) = None  # type: ignore[valid-type]
    keys: Annotated[
        list[KeyName] | None,
        Field(max_length=MAX_IMAGE_KEYS, description="A chart per key (default: the main metric or two)."),
        Cli(("-k", "--keys"), split=True),
    ] = None
    from_step: Annotated[int | None, Field(description="First step shown."), Cli(("--from",))] = None
    to_step: Annotated[int | None, Field(description="Last step shown."), Cli(("--to",))] = None
    log: Annotated[bool | None, Field(description="Log y axis; default: chosen per chart."), Cli(("--log",))] = None
    width: Annotated[int, Field(ge=200, le=1600, description="Image width in pixels."), Cli(omit=True)] = 720
    height: Annotated[int, Field(ge=120, le=1200, description="Image height in pixels."), Cli(omit=True)] = 360


@attrs.frozen
class Picture:
    """The charts and their PNG drawing."""

    __repr__ = fields_repr

    charts: ChartSet
    png: bytes
    width: int
    height: int


def _picture(app: Runwise, p: PlotParams) -> Picture:
    from runwise.adapters.renderers.image import render_png

    charts = plot(
        app.catalog,
        p.refs(),
        list(dict.fromkeys(p.keys)) if p.keys else None,
        app.schema,
        analyzer=app.analyzer,
        columns=p.width,
        start=p.from_step,
        stop=p.to_step,
        log=p.log,
    )
    return Picture(charts, render_png(charts.charts, width=p.width, height=p.height), p.width, p.height)


def _plot_out(picture: Picture, fit: Fitted) -> PlotOut:
    charts = picture.charts
    return PlotOut(
        alt=charts.alt_text(),
        width=picture.width,
        height=picture.height,
        bytes=len(picture.png),
        runs=[RunRefOut.copy_of(r.info) for r in charts.runs],
        charts=[
            ChartOut(
                key=c.key,
                log_scale=c.log_y,
                anomalies=len(c.episodes),
                broke_at={line.label: line.broke_at for line in c.lines if line.broke_at is not None},
            )
            for c in charts.charts
        ],
    )


PLOT = Capability(
    name="plot",
    tool="plot_metrics",
    title="Plot metrics as an image",
    help="terminal chart of metrics with anomaly markers",
    description="A PNG chart of metrics, anomaly episodes shaded, a NaN ending marked, and a one-line alt text. "
    "For when a curve's shape matters and you can read images (a few hundred tokens; each pixel column keeps its "
    "min and max).",
    params=PlotParams,
    output=PlotOut,
    use=_picture,
    sections=lambda r, pic, p: [Section("alt", 0, (pic.charts.alt_text(),), required=True)],
    structured=_plot_out,
    reads=lambda p: tuple(p.refs()),
    media=lambda pic: ("image/png", pic.png),
    differs={
        "run": "the CLI takes one or more REFs (runs)",
        "width": "the CLI draws to the terminal's width",
        "height": "the CLI's --height counts the rows of a terminal chart",
    },
    json_differs="the CLI draws a terminal chart (its JSON: the alt text and keys); the tool a PNG",
    cli_side=CliSide("picture_commands", arguments="plot_arguments", run="cmd_plot"),
)


# report -------------------------------------------------------------------------------------------
class ReportParams(Params):
    runs: run_refs(  # type: ignore[valid-type]
        "One or more runs (REF or REF@STEP); several share each chart, a line each.", max_length=MAX_RUNS
    )
    keys: Annotated[
        list[KeyName] | None,
        Field(max_length=MAX_KEYS, description="Keys to chart (default: the key metrics)."),
        Cli(("-k", "--keys"), split=True),
    ] = None
    token_budget: budget_param(low=200) = 1500  # type: ignore[valid-type]


def _report(app: Runwise, p: ReportParams) -> Report:
    from runwise import __version__

    keys = list(dict.fromkeys(p.keys)) if p.keys else None
    return build_report(
        app.catalog, list(dict.fromkeys(p.runs)), app.schema, analyzer=app.analyzer, keys=keys, version=__version__
    )


def _report_sections(renderer: Any, report: Report, p: ReportParams) -> list[Section]:
    from runwise.adapters.renderers.report import MarkdownReportRenderer

    return MarkdownReportRenderer().sections(report)


def _report_out(report: Report, fit: Fitted) -> ReportOut:
    return ReportOut(
        runs=[RunRefOut.copy_of(part.summary.run) for part in report.runs],
        health={part.summary.run.name: part.health for part in report.runs},
        anomalies={part.summary.run.name: len(part.summary.anomalies) for part in report.runs},
        charts=[chart.key for chart in report.charts],
        tokens=fit.tokens,
    )


REPORT = Capability(
    name="report",
    tool="report_runs",
    title="Report on runs",
    help="one self-contained HTML report with charts (-o FILE); --format md for PR comments",
    description="A report of one or more runs in markdown, for a PR comment or a notebook: headline and health, "
    "every anomaly episode, recommendations, key metrics, lr analysis, config. Writes nothing (the CLI's "
    "`runwise report` writes the HTML page with charts).",
    params=ReportParams,
    output=ReportOut,
    use=_report,
    sections=_report_sections,
    structured=_report_out,
    reads=lambda p: tuple(p.runs),
    differs={"token_budget": "the CLI writes the whole report to a file"},
    json_differs="the CLI writes the report to a file (HTML, or markdown with --format md); its JSON says where",
    cli_side=CliSide("picture_commands", arguments="report_arguments", run="cmd_report"),
)


CAPABILITIES = (PLOT, REPORT)
