"""Anomaly episodes: one entry per episode, with onset, peak and end steps."""

from __future__ import annotations

from typing import Literal

import attrs

from runwise.domain.shared_repr import fields_repr

AnomalyKind = Literal[
    "nan_inf",
    "loss_spike",
    "divergence",
    "overfitting",
    "plateau",
    "gradient_explosion",
    "gradient_vanishing",
    "lr_issue",
    "instability",
    "throughput_drop",
    "crashed",  # the run itself: crashed, or stopped short of its planned length with no finish record
]
Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@attrs.frozen
class Anomaly:
    """One episode of a problem in one metric."""

    __repr__ = fields_repr

    kind: AnomalyKind
    metric: str
    start_step: int
    end_step: int
    peak_step: int
    severity: Severity
    message: str
    value: float | None = None
