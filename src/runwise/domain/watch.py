"""Following a run as it trains: what changed since the last look, as one event per fact.

A `RunTracker` holds what was read of one run so far (appended chunk by chunk, never re-read) and turns each new
look — fresh points, the source's state, a new analysis — into events. An anomaly episode alerts once; if it
later gets more severe it alerts once more as an escalation. A stall alerts once and re-arms when points come
back. Events carry a sequence number so a client can ask for "everything after N".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

import attrs
import numpy as np

from runwise.domain.analysis.facts import planned_steps
from runwise.domain.anomaly import SEVERITY_RANK, Anomaly, Severity
from runwise.domain.labels import NO_LABELS, KeyLabels
from runwise.domain.model import MetricSeries, Run, RunInfo, RunState, sorted_series
from runwise.domain.shared_repr import fields_repr

EventKind = Literal["anomaly", "escalated", "nan_inf", "stall", "resumed", "finished", "crashed", "new_best"]
EVENT_KINDS: tuple[EventKind, ...] = (
    "anomaly",
    "escalated",
    "nan_inf",
    "stall",
    "resumed",
    "finished",
    "crashed",
    "new_best",
)


@attrs.frozen
class WatchEvent:
    """One thing that happened to a watched run, worth one line (or one notification)."""

    __repr__ = fields_repr

    seq: int
    kind: EventKind
    run: str  # qualified id (source:id)
    run_name: str
    severity: Severity
    message: str
    step: int | None = None
    metric: str | None = None
    at: float = 0.0  # unix seconds when Runwise saw it
    episode: str | None = None  # stable identity of the anomaly episode, for deduplication downstream


@attrs.frozen
class Objective:
    """The metric whose new best values are news, and which way is better."""

    __repr__ = fields_repr

    key: str
    higher_is_better: bool


@attrs.define
class _Episode:
    __repr__ = fields_repr

    start: int
    end: int
    severity: Severity


def _episode_id(kind: str, metric: str, start: int) -> str:
    return f"{kind}:{metric}@{start}"


@attrs.define
class RunTracker:
    """Everything seen of one run so far; `observe` turns the newest look into events."""

    __repr__ = fields_repr

    info: RunInfo
    objective: Objective | None = None
    stall_after_s: float = 600.0
    config: Mapping[str, object] = attrs.field(factory=dict)
    _chunks: dict[str, list[MetricSeries]] = attrs.field(factory=dict)
    _joined: dict[str, MetricSeries] = attrs.field(factory=dict)
    _episodes: dict[tuple[str, str], list[_Episode]] = attrs.field(factory=dict)
    _nonfinite: set[str] = attrs.field(factory=set)
    _best: float | None = None
    _stalled: bool = False
    _ended: bool = False
    last_data_at: float | None = None
    points: int = 0

    # reading ------------------------------------------------------------------------------------
    def append(self, new: Mapping[str, MetricSeries], now: float) -> int:
        """Add the points read since the last look; returns how many there were."""
        added = 0
        for key, part in new.items():
            if not len(part):
                continue
            self._chunks.setdefault(key, []).append(part)
            self._joined.pop(key, None)
            added += len(part)
        if added:
            self.points += added
            self.last_data_at = now
        return added

    def series(self) -> dict[str, MetricSeries]:
        """Every series so far, joined once per change (a 1M-point run is not re-joined on every look)."""
        out: dict[str, MetricSeries] = {}
        for key, chunks in self._chunks.items():
            joined = self._joined.get(key)
            if joined is None:
                joined = _join(key, chunks)
                self._chunks[key] = [joined]
                self._joined[key] = joined
            out[key] = joined
        return out

    def run(self, state: RunState = "running") -> Run:
        """The run so far, for the analysis; it is running while it is being watched, unless it ended."""
        series = self.series()
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        info = attrs.evolve(self.info, last_step=last, state=state)
        return Run(info=info, config=dict(self.config), series=series)

    @property
    def last_step(self) -> int | None:
        return max((c[-1].last_step for c in self._chunks.values() if c and c[-1].last_step is not None), default=None)

    # judging ------------------------------------------------------------------------------------
    def observe(
        self,
        *,
        new: Mapping[str, MetricSeries],
        state: RunState,
        anomalies: Iterable[Anomaly],
        now: float,
        next_seq: int,
    ) -> list[WatchEvent]:
        """Events for one look: non-finite values and new bests from the new points, anomaly episodes from the
        analysis of the whole run so far, and the run's end from its state. Order: what happened first first."""
        events: list[WatchEvent] = []

        def emit(kind: EventKind, severity: Severity, message: str, **more: object) -> None:
            events.append(
                WatchEvent(
                    seq=next_seq + len(events),
                    kind=kind,
                    run=self.info.qualified_id,
                    run_name=self.info.name,
                    severity=severity,
                    message=message,
                    at=now,
                    **more,  # type: ignore[arg-type]
                )
            )

        if self._stalled and any(len(s) for s in new.values()):
            self._stalled = False
            emit("resumed", "info", f"logging again at step {self.last_step:,}", step=self.last_step)
        for key in sorted(new):
            part = new[key]
            if key in self._nonfinite or not len(part):
                continue
            bad = np.flatnonzero(~np.isfinite(part.values))
            if bad.size:
                self._nonfinite.add(key)
                i = int(bad[0])
                emit("nan_inf", "critical", f"{key} is {_word(part.values[i])} at step {int(part.steps[i]):,}",
                     step=int(part.steps[i]), metric=key)  # fmt: skip
        best = self._new_best(new)
        if best is not None:
            value, step, before = best
            assert self.objective is not None
            was = "" if before is None else f" (was {before:.4g})"
            emit("new_best", "info", f"new best {self.objective.key} {value:.4g} at step {step:,}{was}",
                 step=step, metric=self.objective.key)  # fmt: skip
        for anomaly in sorted(anomalies, key=lambda a: (a.start_step, a.metric)):
            if anomaly.kind not in ("crashed", "nan_inf"):  # said once each, from the state and the first NaN
                self._episode_events(anomaly, emit)
        events = _by_step(events, keep_first=1 if events and events[0].kind == "resumed" else 0, next_seq=next_seq)
        if state in ("finished", "crashed") and not self._ended:
            self._ended = True
            last = self.last_step
            at = f" at step {last:,}" if last is not None else ""
            if state == "finished":
                emit("finished", "info", f"finished{at}", step=last)
            else:
                emit("crashed", "critical", f"crashed{at}{self._progress(last)}", step=last)
        return events

    def check_stall(self, now: float, state: RunState, next_seq: int) -> list[WatchEvent]:
        """One stall event when no point came for `stall_after_s` while the run has not ended."""
        if self._stalled or self._ended or state in ("finished", "crashed") or self.last_data_at is None:
            return []
        idle = now - self.last_data_at
        if idle < self.stall_after_s:
            return []
        self._stalled = True
        step = self.last_step
        at = f" after step {step:,}" if step is not None else ""
        return [
            WatchEvent(
                seq=next_seq,
                kind="stall",
                run=self.info.qualified_id,
                run_name=self.info.name,
                severity="warning",
                message=f"no new point for {_minutes(idle)}{at} and no finish record",
                step=step,
                at=now,
            )
        ]

    def _episode_events(self, anomaly: Anomaly, emit: _Emit) -> None:
        known = self._episodes.setdefault((anomaly.kind, anomaly.metric), [])
        for episode in known:
            if anomaly.start_step <= episode.end and anomaly.end_step >= episode.start:
                episode.end = max(episode.end, anomaly.end_step)
                if SEVERITY_RANK[anomaly.severity] > SEVERITY_RANK[episode.severity]:
                    episode.severity = anomaly.severity
                    emit("escalated", anomaly.severity, f"now {anomaly.severity}: {anomaly.message}",
                         step=anomaly.peak_step, metric=anomaly.metric,
                         episode=_episode_id(anomaly.kind, anomaly.metric, episode.start))  # fmt: skip
                return
        known.append(_Episode(anomaly.start_step, anomaly.end_step, anomaly.severity))
        emit("anomaly", anomaly.severity, f"{anomaly.kind}: {anomaly.message}", step=anomaly.start_step,
             metric=anomaly.metric, episode=_episode_id(anomaly.kind, anomaly.metric, anomaly.start_step))  # fmt: skip

    def _new_best(self, new: Mapping[str, MetricSeries]) -> tuple[float, int, float | None] | None:
        """The objective's best value among the new points when it beats every earlier one."""
        if self.objective is None or self.objective.key not in new:
            return None
        part = new[self.objective.key]
        finite = np.isfinite(part.values)
        if not finite.any():
            return None
        values = np.where(finite, part.values, -np.inf if self.objective.higher_is_better else np.inf)
        i = int(np.argmax(values) if self.objective.higher_is_better else np.argmin(values))
        value = float(values[i])
        before = self._best
        better = before is None or (value > before if self.objective.higher_is_better else value < before)
        if not better:
            return None
        self._best = value
        return value, int(part.steps[i]), before

    def _progress(self, step: int | None) -> str:
        planned = planned_steps(self.config)
        if step is None or planned is None or planned <= 0:
            return ""
        return f" ({min(step / planned, 1.0):.0%} of the planned {planned:,})"


class _Emit(Protocol):  # the shape of `emit` inside `observe`
    def __call__(self, kind: EventKind, severity: Severity, message: str, **more: object) -> None: ...


def _join(key: str, chunks: list[MetricSeries]) -> MetricSeries:
    if len(chunks) == 1:
        return chunks[0]
    steps = np.concatenate([c.steps for c in chunks])
    values = np.concatenate([c.values for c in chunks])
    walls = [c.wall_time for c in chunks if c.wall_time is not None]
    wall = np.concatenate(walls) if len(walls) == len(chunks) else None
    return sorted_series(key, steps, values, wall)  # a resumed run may log a step again: the later write wins


def _word(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


@attrs.frozen
class Increment:
    """What one look at a followed run found: only the points added since the previous look."""

    __repr__ = fields_repr

    series: Mapping[str, MetricSeries] = attrs.field(factory=dict)
    state: RunState = "unknown"
    bytes_read: int = 0
    warnings: tuple[str, ...] = ()
    config: Mapping[str, object] | None = None  # the run's config when this look found (more of) it


@attrs.frozen
class Alert:
    """What a notifier sends: one event, or a run's summary (`runwise notify`), with a link when known."""

    __repr__ = fields_repr

    title: str
    lines: tuple[str, ...]
    severity: Severity = "info"
    link: str | None = None
    event: WatchEvent | None = None
    run: str | None = None

    def as_dict(self) -> dict[str, object]:
        """Plain data for a command's stdin: the event's fields when it is one, plus title, lines and link."""
        out: dict[str, object] = {"title": self.title, "lines": list(self.lines), "severity": self.severity}
        if self.link:
            out["link"] = self.link
        if self.run:
            out["run"] = self.run
        if self.event is not None:
            out["event"] = attrs.asdict(self.event)
        return out


def event_alert(event: WatchEvent, link: str | None = None, labels: KeyLabels = NO_LABELS) -> Alert:
    """One event as a alert: the run and the event's kind in the title, the message (keys by their display
    names) as the line; the event itself keeps the logged key."""
    return Alert(
        title=f"{event.run_name}: {event.kind.replace('_', ' ')}",
        lines=(labels.prose(event.message),),
        severity=event.severity,
        link=link,
        event=event,
        run=event.run,
    )


def _by_step(events: list[WatchEvent], *, keep_first: int, next_seq: int) -> list[WatchEvent]:
    """One look can hold several facts (a new best at step 49, a NaN at step 50): they go out in the order they
    happened in the run, each kind's own stable order breaking ties; numbered again from `next_seq`."""
    head, rest = events[:keep_first], events[keep_first:]
    rest = sorted(rest, key=lambda e: -1 if e.step is None else e.step)
    return [attrs.evolve(e, seq=next_seq + i) for i, e in enumerate([*head, *rest])]


class ReportedSteps:
    """The last step a follower reported per key. A follower that had to start over (a rewritten CSV, a store
    read anew) reads points it already reported: only those past the last reported step are news."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.restarted = False

    def keep(self, series: Mapping[str, MetricSeries]) -> dict[str, MetricSeries]:
        out: dict[str, MetricSeries] = {}
        for key, part in series.items():
            last = self.last.get(key) if self.restarted else None
            fresh = part if last is None else part.between(last + 1, None)
            if len(fresh):
                out[key] = fresh
                newest = int(fresh.steps[-1])
                self.last[key] = max(self.last.get(key, newest), newest)
        return out
