"""Run every detector on the series that suit it, reconcile overlaps and order the episodes.

Which detector sees which series is decided by role (see keys.py) in each detector's `find`: every metric gets
the NaN check; only the primary loss gets the trend detectors; component losses get informational spike reports;
metrics of unknown role get nothing else, because nothing can be said about a curve whose meaning is unknown.
The detectors are records (registry.py) listed in detectors/__init__.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from runwise.domain.analysis.detectors import REGISTRY
from runwise.domain.analysis.detectors.lr_issue import THRESHOLDS as LR_THRESHOLDS
from runwise.domain.analysis.detectors.plateau import STOPPED
from runwise.domain.analysis.keys import KeyRoles, assign
from runwise.domain.analysis.lr import LrAnalysis, lr_analysis
from runwise.domain.analysis.registry import Scope
from runwise.domain.analysis.sessions import sessions
from runwise.domain.analysis.thresholds import Thresholds
from runwise.domain.anomaly import SEVERITY_RANK, Anomaly
from runwise.domain.model import Run
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.shared_repr import fields_repr

# lower first: the more fundamental finding leads when several compete (a NaN before the divergence that led to it)
KIND_PRIORITY: dict[str, int] = {d.kind: d.priority for d in REGISTRY}


@attrs.frozen
class Detection:
    """The anomalies of a run with what was learned on the way (key roles, lr analysis)."""

    __repr__ = fields_repr

    anomalies: tuple[Anomaly, ...]
    keys: KeyRoles
    lr: LrAnalysis | None


def order(anomalies: Iterable[Anomaly]) -> tuple[Anomaly, ...]:
    """Most severe first, then by onset (then by kind, so the order is total)."""
    return tuple(
        sorted(
            anomalies,
            key=lambda a: (-SEVERITY_RANK[a.severity], a.start_step, KIND_PRIORITY[a.kind], a.metric, a.peak_step),
        )
    )


def _overlaps(a: Anomaly, b: Anomaly) -> bool:
    return a.metric == b.metric and a.start_step <= b.end_step and b.start_step <= a.end_step


def _reconcile(found: list[Anomaly], lr: LrAnalysis | None, window: float, losses: set[str]) -> list[Anomaly]:
    """A spike inside a divergence is the divergence; a jump right after a warm restart is the schedule's doing.

    Once a loss has blown up for good (a critical divergence or NaN), later spikes of any loss say nothing more.

    Under a cyclic schedule the loss rises after each restart by design: such spikes are dropped, and a rise that
    recovered is kept as info only. A rise that never recovers stays what it is.
    """
    divergences = [a for a in found if a.kind == "divergence"]
    diverged = {d.metric for d in divergences}
    broken = min(
        (
            a.start_step
            for a in found
            if a.kind in ("divergence", "nan_inf") and a.severity == "critical" and a.metric in losses
        ),
        default=None,
    )
    # after a metric went NaN/Inf for good, a "converged" loss is what a broken run logs (some frameworks log 0)
    broken_any = min((a.start_step for a in found if a.kind == "nan_inf" and a.severity == "critical"), default=None)
    # a loss that stopped with its gradients gone did not converge: the vanishing says why it is flat
    overfit = {a.metric for a in found if a.kind == "overfitting" and a.severity != "info"}
    vanished = any(a.kind == "gradient_vanishing" and a.severity != "info" for a in found)
    kept = [
        a
        for a in found
        if not (a.kind == "loss_spike" and any(_overlaps(a, d) for d in divergences))
        and not (a.kind == "loss_spike" and broken is not None and a.start_step >= broken)
        and not (a.kind == "plateau" and a.severity == "info" and a.metric in diverged)
        and not (a.kind == "plateau" and a.severity == "info" and vanished)
        and not (a.kind == "plateau" and a.severity == "info" and broken_any is not None and broken_any <= a.start_step)
        and not (a.kind == "plateau" and STOPPED in a.message and a.metric in overfit)
    ]
    restarts = [c.step for c in lr.changes if c.kind == "rise"] if lr is not None and lr.shape == "cyclic" else []
    if not restarts:
        return kept
    out = []
    for a in kept:
        after_restart = any(r <= a.start_step <= r + window for r in restarts)
        if after_restart and a.kind == "loss_spike":
            continue
        if after_restart and a.kind == "divergence" and a.severity == "warning":
            a = attrs.evolve(a, severity="info", message=f"{a.message} (right after an lr restart)")
        out.append(a)
    return out


def run_span(run: Run) -> tuple[int, int]:
    """First and last logged step over all series (0, 0 for an empty run)."""
    firsts = [s.first_step for s in run.series.values() if s.first_step is not None]
    lasts = [s.last_step for s in run.series.values() if s.last_step is not None]
    return (min(firsts), max(lasts)) if firsts else (0, 0)


def detect(run: Run, schema: MetricSchema = DEFAULT_SCHEMA) -> Detection:
    """All anomalies of a run, ordered, with the key roles and lr analysis used to find them.

    The series detectors run first (stage 0); overlapping findings are reconciled; then the detectors that relate
    findings to each other (stage 1: the lr schedule) see what was found.
    """
    keys = assign(run, schema)
    span = run_span(run)
    objective = keys.train_loss or keys.val_loss
    loss_series = run.series[objective] if objective is not None else None
    lr_info = lr_analysis(run.series[keys.lr], loss_series) if keys.lr is not None else None
    scope = Scope(run=run, keys=keys, schema=schema, span=span, lr=lr_info)
    parts = sessions(run)
    found: list[Anomaly] = []
    for detector in REGISTRY:
        if detector.stage != 0:
            continue
        if detector.per_session and len(parts) > 1:
            for part in parts:
                found += detector.find(attrs.evolve(scope, run=part, span=run_span(part)))
        else:
            found += detector.find(scope)
    window = Thresholds.from_schema(schema, LR_THRESHOLDS).lr_window * max(span[1] - span[0], 1)
    losses = {k for k in (keys.train_loss, keys.val_loss) if k}
    found = _reconcile(found, lr_info, window, losses)
    for detector in REGISTRY:
        if detector.stage == 1:
            found += detector.find(attrs.evolve(scope, found=tuple(found)))
    return Detection(order(found), keys, lr_info)


def detect_anomalies(run: Run, schema: MetricSchema = DEFAULT_SCHEMA) -> tuple[Anomaly, ...]:
    """All anomaly episodes of a run: most severe first, then by onset."""
    return detect(run, schema).anomalies
