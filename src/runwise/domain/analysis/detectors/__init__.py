"""Anomaly detectors: one module per kind or family, each vectorised numpy over every point of a series.

Each module exposes a `Detector` record (kind, priority, roles, thresholds, advice, find); REGISTRY lists them in
the order they run. Adding a detector is one module and one line here.
"""

from __future__ import annotations

from runwise.domain.analysis.detectors import (
    divergence,
    gradients,
    instability,
    lr_issue,
    nan_inf,
    overfitting,
    plateau,
    run_state,
    spikes,
    throughput,
)
from runwise.domain.analysis.detectors.divergence import detect_divergence
from runwise.domain.analysis.detectors.gradients import detect_gradient_explosion, detect_gradient_vanishing
from runwise.domain.analysis.detectors.instability import detect_instability
from runwise.domain.analysis.detectors.lr_issue import detect_lr_issues
from runwise.domain.analysis.detectors.nan_inf import detect_nan_inf
from runwise.domain.analysis.detectors.overfitting import detect_overfitting
from runwise.domain.analysis.detectors.plateau import detect_plateau
from runwise.domain.analysis.detectors.spikes import detect_loss_spikes
from runwise.domain.analysis.detectors.throughput import detect_throughput_drop
from runwise.domain.analysis.registry import Detector

REGISTRY: tuple[Detector, ...] = (
    nan_inf.DETECTOR,
    spikes.DETECTOR,
    divergence.DETECTOR,
    plateau.DETECTOR,
    instability.DETECTOR,
    overfitting.DETECTOR,
    gradients.EXPLOSION,
    gradients.VANISHING,
    throughput.DETECTOR,
    lr_issue.DETECTOR,
    run_state.DETECTOR,
)

__all__ = [
    "REGISTRY",
    "detect_divergence",
    "detect_gradient_explosion",
    "detect_gradient_vanishing",
    "detect_instability",
    "detect_loss_spikes",
    "detect_lr_issues",
    "detect_nan_inf",
    "detect_overfitting",
    "detect_plateau",
    "detect_throughput_drop",
]
