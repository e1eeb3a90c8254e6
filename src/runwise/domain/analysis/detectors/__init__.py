"""Anomaly detectors: one module per kind or family, each vectorised numpy over every point of a series."""

from __future__ import annotations

from runwise.domain.analysis.detectors.divergence import detect_divergence
from runwise.domain.analysis.detectors.gradients import detect_gradient_explosion, detect_gradient_vanishing
from runwise.domain.analysis.detectors.instability import detect_instability
from runwise.domain.analysis.detectors.lr_issue import detect_lr_issues
from runwise.domain.analysis.detectors.nan_inf import detect_nan_inf
from runwise.domain.analysis.detectors.overfitting import detect_overfitting
from runwise.domain.analysis.detectors.plateau import detect_plateau
from runwise.domain.analysis.detectors.spikes import detect_loss_spikes
from runwise.domain.analysis.detectors.throughput import detect_throughput_drop

__all__ = [
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
