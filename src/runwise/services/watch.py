"""Use case: follow runs as they train and say what happened, once per fact.

Each watched run has a follower (the source's own incremental reader when it has one, else a reload when the
run's files change) and a tracker (domain.watch) that turns what is new into events. The analysis runs on the
whole run so far — every point, as everywhere in Runwise — but only when new points came, and at most once per
`analyze_every_s` while points keep coming (a 1M-point run is not re-analysed on every appended line).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence

import attrs

from runwise.domain.anomaly import Anomaly
from runwise.domain.compare.best import metric_direction
from runwise.domain.errors import InvalidInput, RunwiseError
from runwise.domain.model import MetricSeries, Run, RunInfo, RunState
from runwise.domain.roles import Role
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr
from runwise.domain.watch import Increment, Objective, RunTracker, WatchEvent
from runwise.ports.follower import RunFollower
from runwise.ports.run_source import RunSource
from runwise.ports.waiter import ChangeWaiter
from runwise.services.catalog import Catalog

Analyzer = Callable[[Run, MetricSchema], Iterable[Anomaly]]
ENDED: tuple[RunState, ...] = ("finished", "crashed")


class ReloadFollower:
    """For sources without an incremental reader: reload the run when its files change, keep only newer points."""

    def __init__(self, source: RunSource, run_id: str) -> None:
        self.source = source
        self.run_id = run_id
        self._fingerprint: Hashable | None = None
        self._last: dict[str, int] = {}
        self._state: RunState = "unknown"

    def paths(self) -> Sequence[str]:
        return []

    def poll(self) -> Increment:
        fingerprint = self.source.fingerprint(self.run_id)
        if fingerprint == self._fingerprint:
            return Increment(state=self._state)
        self._fingerprint = fingerprint
        run = self.source.load_run(self.run_id)
        self._state = run.info.state
        new: dict[str, MetricSeries] = {}
        for key, series in run.series.items():
            last = self._last.get(key)
            part = series if last is None else series.between(last + 1, None)
            if len(part):
                new[key] = part
                self._last[key] = int(part.steps[-1])
        return Increment(series=new, state=run.info.state, warnings=run.warnings, config=dict(run.config))


def follower_for(source: RunSource, run_id: str) -> RunFollower:
    """The source's incremental reader when it has one (ports.follower), else a reload on change."""
    follow = getattr(source, "follow", None)
    follower = follow(run_id) if follow is not None else None
    return follower if follower is not None else ReloadFollower(source, run_id)


@attrs.define
class WatchedRun:
    __repr__ = fields_repr

    source: RunSource
    follower: RunFollower
    tracker: RunTracker
    state: RunState = "unknown"
    pending_analysis: bool = False
    analysed_at: float = 0.0
    bytes_read: int = 0
    warnings_seen: set[str] = attrs.field(factory=set)


@attrs.define
class Watcher:
    """Follows one run (a REF) or every run of the catalog, newest first, picking up runs that appear."""

    __repr__ = fields_repr

    catalog: Catalog
    schema: MetricSchema
    analyzer: Analyzer
    ref: str | None = None
    stall_after_s: float = 600.0
    objective: str | None = None
    analyze_every_s: float = 2.0
    clock: Callable[[], float] = time.time
    runs: dict[str, WatchedRun] = attrs.field(factory=dict)
    warnings: list[str] = attrs.field(factory=list)
    seq: int = 0
    _known: set[str] = attrs.field(factory=set)

    def start(self) -> None:
        """Resolve what to watch now; a REF that matches nothing is an error before any waiting."""
        if self.ref is not None:
            source, info = self.catalog.resolve(self.ref)
            self._add(source, info)
        else:
            self._discover()

    def _discover(self) -> None:
        for source, info in self.catalog.list_runs():
            if info.qualified_id not in self._known:
                self._add(source, info)

    def _add(self, source: RunSource, info: RunInfo) -> None:
        self._known.add(info.qualified_id)
        try:
            follower = follower_for(source, info.id)
        except RunwiseError as exc:
            self.warnings.append(f"{info.name}: {exc}")
            return
        tracker = RunTracker(info=info, stall_after_s=self.stall_after_s)
        self.runs[info.qualified_id] = WatchedRun(source, follower, tracker, state=info.state)

    def paths(self) -> list[str]:
        """Files and folders whose changes may mean news (for file-system events)."""
        out: list[str] = []
        for watched in self.runs.values():
            out.extend(watched.follower.paths())
        return out

    @property
    def ended(self) -> bool:
        """Every watched run has finished or crashed (and there is at least one)."""
        return bool(self.runs) and all(w.state in ENDED for w in self.runs.values())

    def step(self) -> list[WatchEvent]:
        """One look at every watched run: read what is new, judge it, return the events in order."""
        if self.ref is None:
            self._discover()
        events: list[WatchEvent] = []
        for watched in list(self.runs.values()):
            events.extend(self._look(watched))
        return events

    def _look(self, watched: WatchedRun) -> list[WatchEvent]:
        now = self.clock()
        try:
            increment = watched.follower.poll()
        except RunwiseError as exc:
            increment = Increment(state=watched.state, warnings=(str(exc),))
        except OSError as exc:
            increment = Increment(state=watched.state, warnings=(f"cannot read: {exc.strerror or exc}",))
        watched.bytes_read += increment.bytes_read
        tracker = watched.tracker
        for warning in increment.warnings:
            if warning not in watched.warnings_seen:
                watched.warnings_seen.add(warning)
                self.warnings.append(f"{tracker.info.name}: {warning}")
        if increment.config:
            tracker.config = {**tracker.config, **increment.config}
        added = tracker.append(increment.series, now)
        if increment.state != "unknown":
            watched.state = increment.state
        if tracker.objective is None and added:
            tracker.objective = self._objective(tracker)
        if added:
            watched.pending_analysis = True
        anomalies: Iterable[Anomaly] = ()
        ending = watched.state in ENDED
        if watched.pending_analysis and (ending or now - watched.analysed_at >= self.analyze_every_s):
            anomalies = self.analyzer(tracker.run(watched.state if ending else "running"), self.schema)
            watched.pending_analysis, watched.analysed_at = False, now
        events = tracker.observe(
            new=increment.series, state=watched.state, anomalies=anomalies, now=now, next_seq=self.seq + 1
        )
        events += tracker.check_stall(now, watched.state, self.seq + 1 + len(events))
        self.seq += len(events)
        return events

    def _objective(self, tracker: RunTracker) -> Objective | None:
        """The metric whose new bests are news: the one asked for, else the validation loss or metric."""
        series = tracker.series()
        if self.objective is not None:
            if self.objective not in series:
                return None
            higher, _ = metric_direction(self.objective, None, self.schema)
            return Objective(self.objective, higher)
        for wanted in (Role.VAL_LOSS, Role.VAL_ACCURACY):
            for key in sorted(series):
                direction = self.schema.direction(key)
                if self.schema.role(key) == wanted and direction is not None:
                    return Objective(key, direction)
        return None


def check_until(until: str | None) -> None:
    if until not in (None, "finished", "critical"):
        raise InvalidInput(f"unknown stop condition '{until}'", "stop at 'finished' or 'critical'")


@attrs.frozen
class WatchOutcome:
    """How a watch ended: the exit code scripts gate on, and why it stopped."""

    __repr__ = fields_repr

    exit_code: int  # 0 ended healthy (or stopped by the user), 1 a critical event was seen
    reason: str
    events: int


def run_watch(
    watcher: Watcher,
    waiter: ChangeWaiter,
    on_events: Callable[[list[WatchEvent]], None],
    *,
    until: str | None = None,
    max_wait_s: float = 5.0,
    deadline_s: float | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> WatchOutcome:
    """Look, report, wait for a change, again — until the stop condition holds (or forever, until interrupted).

    `until="finished"` stops when every watched run has finished or crashed; `until="critical"` at the first
    critical event. `deadline_s` bounds the whole watch (for scripts and tests). Waking at least every
    `max_wait_s` keeps stall detection and new-run discovery going when no file event comes.
    """
    check_until(until)
    started = monotonic()
    critical = False
    count = 0
    while True:
        events = watcher.step()
        if events:
            count += len(events)
            on_events(events)
            critical = critical or any(e.severity == "critical" for e in events)
        if until == "critical" and critical:
            return WatchOutcome(1, "critical", count)
        if until == "finished" and watcher.ended:
            return WatchOutcome(1 if critical else 0, "finished", count)
        if deadline_s is not None and monotonic() - started >= deadline_s:
            return WatchOutcome(1 if critical else 0, "time limit", count)
        remaining = max_wait_s if deadline_s is None else min(max_wait_s, deadline_s - (monotonic() - started))
        waiter.wait(watcher.paths(), max(0.0, remaining))


@attrs.frozen
class EventPage:
    """Events of one run after a sequence number, and the number to ask from next time."""

    __repr__ = fields_repr

    run: RunInfo
    state: RunState
    events: tuple[WatchEvent, ...]
    next_since: int
    dropped: int = 0  # older events no longer kept (the feed keeps the newest KEEP_EVENTS)
    last_step: int | None = None


KEEP_EVENTS = 1000


@attrs.define
class EventFeeds:
    """One watcher per run asked about, kept between calls (the MCP server's `get_run_events`).

    Each call reads only what the run's files gained since the previous call, turns it into events, and
    returns the events after `since`. The first call reads the run so far and reports what already happened.
    """

    __repr__ = fields_repr

    catalog: Catalog
    schema: MetricSchema
    analyzer: Analyzer
    clock: Callable[[], float] = time.time
    _feeds: dict[str, tuple[Watcher, list[WatchEvent]]] = attrs.field(factory=dict)

    def events(self, ref: str, since: int = 0, stall_after_s: float = 600.0) -> EventPage:
        source, info = self.catalog.resolve(ref)
        key = info.qualified_id
        feed = self._feeds.get(key)
        if feed is None or feed[0].stall_after_s != stall_after_s:
            watcher = Watcher(
                self.catalog, self.schema, self.analyzer, ref=key, stall_after_s=stall_after_s, clock=self.clock
            )
            watcher._add(source, info)
            feed = self._feeds[key] = (watcher, [])
        watcher, log = feed
        log.extend(watcher.step())
        if len(log) > KEEP_EVENTS:
            del log[: len(log) - KEEP_EVENTS]
        watched = watcher.runs[key]
        fresh = tuple(e for e in log if e.seq > since)
        return EventPage(
            run=watched.tracker.info,
            state=watched.state,
            events=fresh,
            next_since=watcher.seq,
            dropped=max(0, (log[0].seq - 1 - since) if log else 0),
            last_step=watched.tracker.last_step,
        )
