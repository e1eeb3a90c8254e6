"""Run every detector on the series that suit it, reconcile overlaps and order the episodes.

Which detector sees which series is decided by role (see keys.py): every metric gets the NaN check; only the
primary loss gets the trend detectors; component losses get informational spike reports; metrics of unknown role
get nothing else, because nothing can be said about a curve whose meaning is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from runwise.domain.analysis.detectors import (
    detect_divergence,
    detect_gradient_explosion,
    detect_gradient_vanishing,
    detect_instability,
    detect_loss_spikes,
    detect_lr_issues,
    detect_nan_inf,
    detect_overfitting,
    detect_plateau,
    detect_throughput_drop,
)
from runwise.domain.analysis.keys import KeyRoles, assign
from runwise.domain.analysis.lr import LrAnalysis, lr_analysis
from runwise.domain.analysis.thresholds import Thresholds
from runwise.domain.anomaly import SEVERITY_RANK, Anomaly
from runwise.domain.model import Run
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

KIND_PRIORITY: dict[str, int] = {
    "nan_inf": 0,
    "divergence": 1,
    "gradient_explosion": 2,
    "lr_issue": 3,
    "overfitting": 4,
    "plateau": 5,
    "gradient_vanishing": 6,
    "instability": 7,
    "loss_spike": 8,
    "throughput_drop": 9,
}


@attrs.frozen
class Detection:
    """The anomalies of a run with what was learned on the way (key roles, lr analysis)."""

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
    kept = [
        a
        for a in found
        if not (a.kind == "loss_spike" and any(_overlaps(a, d) for d in divergences))
        and not (a.kind == "loss_spike" and broken is not None and a.start_step >= broken)
        and not (a.kind == "plateau" and a.severity == "info" and a.metric in diverged)
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
    """All anomalies of a run, ordered, with the key roles and lr analysis used to find them."""
    th = Thresholds.from_schema(schema)
    keys = assign(run, schema)
    series = run.series
    found: list[Anomaly] = []
    for key, s in series.items():
        if len(s):
            found += detect_nan_inf(s, keys.roles[key])
    objective = keys.train_loss or keys.val_loss
    if objective is not None:
        s, role = series[objective], keys.roles[objective]
        hib = schema.direction(objective) is True  # a schema may declare an objective to maximise
        found += detect_loss_spikes(s, schema, role=role, higher_is_better=hib)
        found += detect_divergence(s, schema, role=role, higher_is_better=hib)
        found += detect_plateau(s, schema, role=role, higher_is_better=hib)
        if not hib:
            found += detect_instability(s, schema, role=role)
    if keys.val_loss is not None and keys.val_loss != objective:
        found += detect_loss_spikes(series[keys.val_loss], schema, role=Role.VAL_LOSS)
    for key in keys.secondary_losses:
        found += detect_loss_spikes(series[key], schema, role=keys.roles[key], max_severity="info")
    validation = keys.val_loss or keys.val_metric
    if validation is not None and keys.train_loss is not None:
        hib = keys.val_loss is None
        found += detect_overfitting(
            series[validation], series[keys.train_loss], schema, val_role=keys.roles[validation], higher_is_better=hib
        )
    loss_series = series[objective] if objective is not None else None
    for key in keys.grad_norms:
        found += detect_gradient_explosion(series[key], schema, loss=loss_series)
        found += detect_gradient_vanishing(series[key], schema, loss=loss_series)
    for key in keys.throughputs:
        found += detect_throughput_drop(series[key], schema)
    start, end = run_span(run)
    window = th.lr_window * max(end - start, 1)
    lr_info = lr_analysis(series[keys.lr], loss_series) if keys.lr is not None else None
    losses = {k for k in (keys.train_loss, keys.val_loss) if k}
    found = _reconcile(found, lr_info, window, losses)
    if lr_info is not None and keys.lr is not None:
        watched = [k for k in (objective, keys.val_loss, *keys.grad_norms) if k]
        found += detect_lr_issues(
            series[keys.lr], lr_info, found, schema, loss_key=objective, watched=watched, run_start=start, run_end=end
        )
    return Detection(order(found), keys, lr_info)


def detect_anomalies(run: Run, schema: MetricSchema = DEFAULT_SCHEMA) -> tuple[Anomaly, ...]:
    """All anomaly episodes of a run: most severe first, then by onset."""
    return detect(run, schema).anomalies
