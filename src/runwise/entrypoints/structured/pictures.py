"""Structured results of the drawing capabilities: what plot_metrics says beside its image."""

from __future__ import annotations

from pydantic import Field

from runwise.entrypoints.structured.inspect import Out, RunRefOut


class ChartOut(Out):
    key: str
    log_scale: bool
    anomalies: int = Field(description="anomaly episodes of this metric marked on the chart")
    broke_at: dict[str, int] = Field(default_factory=dict, description="run name -> step its NaN/Inf ending starts")


class PlotOut(Out):
    """The picture's facts: its alt text, size and what each chart shows (the PNG is the image content)."""

    alt: str
    width: int
    height: int
    bytes: int
    runs: list[RunRefOut]
    charts: list[ChartOut]


class ReportOut(Out):
    """What the report covers; the text is the markdown report, fitted to the budget."""

    runs: list[RunRefOut]
    health: dict[str, str | None] = Field(description="run name -> healthy, warning or critical")
    anomalies: dict[str, int] = Field(description="run name -> anomaly episodes found")
    charts: list[str] = Field(description="keys the HTML report charts")
    tokens: int
