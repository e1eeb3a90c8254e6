"""Structured results of the watching capabilities: run events and cost."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from runwise.entrypoints.structured.inspect import Out, RunRefOut


class EventOut(Out):
    seq: int
    kind: Literal["anomaly", "escalated", "nan_inf", "stall", "resumed", "finished", "crashed", "new_best"]
    severity: Literal["info", "warning", "critical"]
    message: str
    step: int | None = None
    metric: str | None = None


class RunEventsOut(Out):
    """What happened to a run since `since`."""

    run: RunRefOut
    events: list[EventOut] = Field(description="newest facts; critical first")
    next_since: int = Field(description="pass as `since` next time")
    more: int = Field(0, description="events left out (budget, or no longer kept)")


class RunCostOut(Out):
    run: RunRefOut
    accelerator: str | None
    count: int
    origin: str = Field(description="where accelerator and count came from")
    price_name: str
    usd_per_hour: float = Field(description="per accelerator")
    runtime_s: float
    cost_usd: float
    planned_step: int | None = None
    remaining_s: float | None = None
    projected_usd: float | None = Field(None, description="total at the planned last step")


class CostOut(Out):
    runs: list[RunCostOut]
    total_usd: float
    objective: str | None = None
    usd_per_point: float | None = None
    point: str = "unit"
    prices_as_of: str
