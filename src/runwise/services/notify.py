"""Use case: send watch events to notifiers, each fact once, within a rate limit, never stopping the watch.

The tracker already emits an episode once and its escalation once more; the dispatcher still drops repeats
(a watch restarted over the same run, a folder watch that sees a run twice) and holds back bursts: at most
`per_minute` alerts per notifier in any 60 s, the held-back ones counted in the next alert that goes out.
A notifier that fails is reported (one line, returned to the caller for stderr) and tried again next time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence

import attrs

from runwise.domain.anomaly import SEVERITY_RANK
from runwise.domain.labels import NO_LABELS, KeyLabels
from runwise.domain.shared_repr import fields_repr
from runwise.domain.watch import Alert, WatchEvent, event_alert
from runwise.ports.notifier import Notifier, NotifyFailed

QUIET_KINDS = frozenset({"new_best", "resumed"})  # worth a line on the terminal, not a ping


def worth_notifying(event: WatchEvent) -> bool:
    """Problems (warning or worse), stalls and the run's end; not every new best value."""
    if event.kind in ("finished", "crashed"):
        return True
    return event.kind not in QUIET_KINDS and SEVERITY_RANK[event.severity] >= SEVERITY_RANK["warning"]


@attrs.define
class _Lane:
    __repr__ = fields_repr

    notifier: Notifier
    sent: deque[float] = attrs.field(factory=deque)
    held: int = 0


@attrs.define
class Dispatcher:
    """Fans events out to every notifier; returns one-line failures instead of raising."""

    __repr__ = fields_repr

    notifiers: Sequence[Notifier]
    per_minute: int = 10
    link_for: Callable[[str], str | None] = lambda _run: None
    clock: Callable[[], float] = time.monotonic
    labels: KeyLabels = NO_LABELS  # the schema's display names, for the messages people read
    _lanes: list[_Lane] = attrs.field(init=False)
    _seen: set[tuple[object, ...]] = attrs.field(init=False, factory=set)

    def __attrs_post_init__(self) -> None:
        self._lanes = [_Lane(n) for n in self.notifiers]

    def dispatch(self, events: Sequence[WatchEvent]) -> list[str]:
        failures: list[str] = []
        for event in events:
            if not worth_notifying(event):
                continue
            key = (event.run, event.kind, event.episode or event.metric, event.severity, event.step)
            if key in self._seen:
                continue
            self._seen.add(key)
            alert = event_alert(event, self.link_for(event.run), self.labels)
            for lane in self._lanes:
                failures.extend(self._send(lane, alert))
        return failures

    def send(self, alert: Alert) -> list[str]:
        """One alert (a run summary) to every notifier, outside the rate limit."""
        failures: list[str] = []
        for lane in self._lanes:
            try:
                lane.notifier.send(alert)
            except NotifyFailed as exc:
                failures.append(f"{lane.notifier.name}: {exc}")
        return failures

    def _send(self, lane: _Lane, alert: Alert) -> list[str]:
        now = self.clock()
        while lane.sent and now - lane.sent[0] >= 60.0:
            lane.sent.popleft()
        if len(lane.sent) >= self.per_minute:
            lane.held += 1
            return []
        if lane.held:
            more = f"(+{lane.held} earlier event{'s' if lane.held != 1 else ''} held back by the rate limit)"
            alert = attrs.evolve(alert, lines=(*alert.lines, more))
        try:
            lane.notifier.send(alert)
        except NotifyFailed as exc:
            return [f"{lane.notifier.name}: {exc}"]
        lane.sent.append(now)
        lane.held = 0
        return []
