"""Watching runs as they train: `events` (MCP get_run_events; the CLI follows runs with `runwise watch`) and `cost`
(MCP estimate_cost).

`get_run_events` rather than a subscribable resource: every MCP client can call a tool, few act on resource
update notifications, and a cursor (`since`) keeps the client stateless while the server reads only what the
run's files gained since the previous call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import attrs
from pydantic import Field

from runwise.entrypoints.capabilities.declaration import (
    Budget,
    Capability,
    Cli,
    CliSide,
    KeyName,
    OneOrMoreRuns,
    Params,
    RunRef,
    run_refs,
)
from runwise.entrypoints.structured.inspect import RunRefOut
from runwise.entrypoints.structured.watch import CostOut, EventOut, RunCostOut, RunEventsOut
from runwise.services.fitting import Fitted

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise
    from runwise.domain.cost import SweepCost
    from runwise.services.watch import EventPage

MAX_COST_RUNS = 50


# events -------------------------------------------------------------------------------------------
class EventsParams(Params):
    run: RunRef = "latest"
    since: Annotated[
        int,
        Field(ge=0),
        Cli(omit=True),
    ] = 0
    stall_minutes: Annotated[
        float,
        Field(gt=0, le=10_080),
    ] = 10.0
    token_budget: Budget = 300


def _events(app: Runwise, p: EventsParams) -> EventPage:
    return app.event_feeds().events(p.run, p.since, p.stall_minutes * 60)


def _events_out(page: EventPage, fit: Fitted) -> RunEventsOut:
    ordered = sorted(page.events, key=lambda e: (e.severity != "critical", -e.seq))
    shown = fit.count("events", len(ordered))
    return RunEventsOut(
        run=RunRefOut.copy_of(attrs.evolve(page.run, state=page.state, last_step=page.last_step)),
        events=[EventOut.copy_of(e) for e in ordered[:shown]],
        next_since=page.next_since,
        more=len(ordered) - shown + page.dropped,
    )


EVENTS = Capability(
    name="events",
    tool="get_run_events",
    title="Run events",
    help="follow runs as they train: one line per new anomaly, NaN, stall, best value, finish or crash",
    description="Anomalies, NaN, stalls, new bests, finish or crash since `since` (then pass next_since).",
    params=EventsParams,
    output=RunEventsOut,
    use=_events,
    sections=lambda r, page, p: r.events_sections(page),
    structured=_events_out,
    cli_name="watch",
    differs={
        "since": "the CLI prints each event once as it happens",
        "run": "the CLI watches every run when no REF is given",
    },
    json_differs="the CLI prints one JSON object per event as it happens",
    cli_side=CliSide("watch_command", arguments="watch_arguments", run="cmd_watch"),
)


# cost ---------------------------------------------------------------------------------------------
class CostParams(OneOrMoreRuns):
    runs: run_refs("Several runs.", max_length=MAX_COST_RUNS, optional=True) = None  # type: ignore[valid-type]
    gpu: Annotated[str | None, Field(max_length=128, description="Accelerator type, e.g. 'H100'.")] = None
    count: Annotated[int | None, Field(ge=1, le=100_000)] = None
    price: Annotated[float | None, Field(ge=0, le=1_000, description="USD per accelerator-hour.")] = None
    objective: Annotated[KeyName | None, Field(description="Metric whose improvement is priced.")] = None
    token_budget: Budget = 300


def _cost(app: Runwise, p: CostParams) -> tuple[SweepCost, str]:
    from runwise.services.cost import sweep_cost

    table = app.price_table()
    result = sweep_cost(
        app.catalog, p.refs(), table, app.schema, objective=p.objective, kind=p.gpu, count=p.count, usd_per_hour=p.price
    )
    return result, table.as_of


def _cost_out(res: tuple[SweepCost, str], fit: Fitted) -> CostOut:
    result, as_of = res
    shown = fit.count("runs", len(result.runs))
    return CostOut(
        runs=[
            RunCostOut.copy_of(
                e,
                run=RunRefOut.copy_of(e.run),
                accelerator=e.accelerators.kind,
                count=e.accelerators.count or 1,
                origin=e.accelerators.origin,
            )
            for e in result.runs[:shown]
        ],
        total_usd=result.total_usd,
        objective=result.objective,
        usd_per_point=result.usd_per_point,
        point=result.point,
        prices_as_of=as_of,
    )


COST = Capability(
    name="cost",
    tool="estimate_cost",
    title="Estimate cost",
    help="runtime × accelerators × price; for a running run the projection to its planned length",
    description="Runtime × accelerators × USD/h; projection while running; sweep total per objective point.",
    params=CostParams,
    output=CostOut,
    use=_cost,
    sections=lambda r, res, p: r.cost_sections(*res),
    structured=_cost_out,
    reads=lambda p: tuple(p.refs()),
    differs={"run": "the CLI takes one or more REFs (runs)"},
)

CAPABILITIES = (EVENTS, COST)
