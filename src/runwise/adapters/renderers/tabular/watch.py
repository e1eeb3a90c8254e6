"""Sections of the watching capabilities: a run's events since a point, and what runs cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runwise.adapters.renderers.tabular.base import Tabular
from runwise.domain.budget import Section
from runwise.domain.hints import Call, Param, say
from runwise.domain.numbers import format_duration, format_step

if TYPE_CHECKING:  # the watch and cost modules load only when used
    from runwise.domain.cost import CostEstimate, SweepCost
    from runwise.domain.watch import WatchEvent
    from runwise.services.watch import EventPage


def usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.995 else f"${value:.3f}"


class WatchSections(Tabular):
    """Mixed into the tabular renderers."""

    def event_line(self, event: WatchEvent) -> str:
        """One event, one line: `#12 critical nan_inf: train/loss is NaN at step 400`."""
        return f"#{event.seq} {self.severity(event.severity)} {event.kind}: {self.prose(event.message)}"

    def events_sections(self, page: EventPage) -> list[Section]:
        """Budget priorities: the run line and the cursor always stay; the newest events go last (they matter
        most while a run trains), critical ones before the rest."""
        run, state, events, step = page.run, page.state, page.events, page.last_step
        at = f" · step {format_step(step)}" if step is not None else ""
        head = f"{self.title(run.name)} · {state}{at} · next since={page.next_since}"
        sections = [self.line("run", head)]
        if not events:
            sections.append(self.line("none", "No new events."))
            return sections
        ordered = sorted(events, key=lambda e: (e.severity != "critical", -e.seq))
        more = self.say(say("(older: ", Call.of("events"), " with a smaller ", Param("since"), ")"))
        sections.append(
            Section(
                "events",
                1,
                tuple(self.event_line(e) for e in ordered),
                header=f"Events ({len(events)}):",
                required=True,
                more=lambda n: f"+{n} more {more}",
            )
        )
        if page.dropped:
            sections.append(self.line("dropped", f"{page.dropped} older events are no longer kept.", 2))
        return sections

    def cost_line(self, e: CostEstimate) -> str:
        kind = e.accelerators.kind or e.price_name
        count = e.accelerators.count or 1
        line = (
            f"{e.run.name}: {count} × {kind} ({e.accelerators.origin}) × {usd(e.usd_per_hour)}/h"
            f" × {format_duration(e.runtime_s)} = {usd(e.cost_usd)}"
        )
        if e.projected_usd is not None and e.remaining_s is not None and e.planned_step is not None:
            rate = f" at {e.steps_per_s:.3g} steps/s" if e.steps_per_s else ""
            line += (
                f"; to step {format_step(e.planned_step)}: {format_duration(e.remaining_s)} more{rate},"
                f" {usd(e.projected_usd)} in all"
            )
        return line

    def cost_sections(self, result: SweepCost, as_of: str) -> list[Section]:
        """The total (and cost per point of improvement) stays; run lines go from the last."""
        sections = []
        if len(result.runs) > 1:
            total = f"{usd(result.total_usd)} for {len(result.runs)} runs"
            if result.usd_per_point is not None and result.objective is not None:
                total += (
                    f"; {self.key(result.objective)} {result.worst:.4g} → {result.best:.4g}:"
                    f" {usd(result.usd_per_point)} per {result.point} of improvement"
                )
            sections.append(self.line("total", f"{self.title('Cost')} {total} (prices as of {as_of})"))
        else:
            sections.append(self.line("total", f"{self.title('Cost')} (prices as of {as_of})"))
        sections.append(
            Section(
                "runs", 1, tuple(self.cost_line(e) for e in result.runs), required=True,
                more=lambda n: f"+{n} more runs",
            )
        )  # fmt: skip
        return sections
