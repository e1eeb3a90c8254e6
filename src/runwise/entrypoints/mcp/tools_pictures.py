"""plot_metrics: a chart an assistant can look at (PNG image content) plus a one-line alt text."""

from __future__ import annotations

import base64
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ImageContent, TextContent
from pydantic import Field

from runwise.bootstrap import Runwise
from runwise.entrypoints.mcp.state import ServerState
from runwise.entrypoints.mcp.toolkit import KeyName, Roots, RunArg, answer, unique
from runwise.entrypoints.schemas import RunRefOut
from runwise.entrypoints.schemas_pictures import ChartOut, PlotOut
from runwise.services.charts import MAX_RUNS, ChartSet, plot

MAX_IMAGE_KEYS = 4


async def plot_metrics(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    runs: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=1024)]] | None,
        Field(
            min_length=1,
            max_length=MAX_RUNS,
            description="Several runs on the same axes (a line each), instead of `run`.",
        ),
    ] = None,
    keys: Annotated[
        list[KeyName] | None,
        Field(max_length=MAX_IMAGE_KEYS, description="Metric keys, a chart each (default: the main metric or two)."),
    ] = None,
    start: Annotated[int | None, Field(description="First step shown.")] = None,
    stop: Annotated[int | None, Field(description="Last step shown.")] = None,
    log: Annotated[bool | None, Field(description="Log y axis; default: chosen per chart.")] = None,
    width: Annotated[int, Field(ge=200, le=1600, description="Image width in pixels.")] = 720,
    height: Annotated[int, Field(ge=120, le=1200, description="Image height in pixels.")] = 360,
) -> Annotated[CallToolResult, PlotOut]:
    """A PNG chart of metrics with anomaly episodes shaded and a NaN ending marked, plus a one-line alt text.

    Use it when the shape of a curve matters and you can read images (a 720x360 chart is a few hundred tokens,
    less than the history table it replaces); every point is analysed, the drawing keeps each pixel column's
    minimum and maximum so spikes stay visible.
    """
    refs = unique(runs) if runs else [run]

    def work(app: Runwise) -> CallToolResult:
        from runwise.adapters.renderers.image import render_png

        charts = plot(
            app.catalog,
            refs,
            unique(keys) if keys else None,
            app.schema,
            analyzer=app.analyzer,
            columns=width,
            start=start,
            stop=stop,
            log=log,
        )
        png = render_png(charts.charts, width=width, height=height)
        alt = charts.alt_text()
        model = _model(charts, alt, width, height, len(png))
        return CallToolResult(
            content=[
                ImageContent(type="image", data=base64.b64encode(png).decode("ascii"), mime_type="image/png"),
                TextContent(type="text", text=alt),
            ],
            structured_content=model.model_dump(mode="json"),
        )

    return await answer(
        ctx, roots, "plot_metrics", work, run=refs, args=(keys and tuple(keys), start, stop, log, width, height)
    )


def _model(charts: ChartSet, alt: str, width: int, height: int, size: int) -> PlotOut:
    return PlotOut(
        alt=alt,
        width=width,
        height=height,
        bytes=size,
        runs=[RunRefOut.of(r.info) for r in charts.runs],
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
