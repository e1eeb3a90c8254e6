"""The analysis engine: anomaly detectors, stability, lr analysis, health, headline and recommendations.

Pure numpy over every point of every series, in linear time; no I/O.
"""

from __future__ import annotations

from runwise.domain.analysis.analyze import Analysis, analyze
from runwise.domain.analysis.detect import detect, detect_anomalies
from runwise.domain.analysis.detectors import REGISTRY
from runwise.domain.analysis.health import Health, HealthStatus
from runwise.domain.analysis.keys import KeyRoles, assign
from runwise.domain.analysis.lr import LrAnalysis, LrChange, lr_analysis
from runwise.domain.analysis.registry import Detector
from runwise.domain.analysis.stability import Stability, stability
from runwise.domain.analysis.thresholds import Threshold, Thresholds, table

# name → (default, meaning) of every detector threshold: the keys of a schema's [thresholds] table
THRESHOLD_DEFAULTS: dict[str, tuple[float, str]] = table(t for d in REGISTRY for t in d.thresholds)

__all__ = [
    "REGISTRY",
    "THRESHOLD_DEFAULTS",
    "Analysis",
    "Detector",
    "Health",
    "HealthStatus",
    "KeyRoles",
    "LrAnalysis",
    "LrChange",
    "Stability",
    "Threshold",
    "Thresholds",
    "analyze",
    "assign",
    "detect",
    "detect_anomalies",
    "lr_analysis",
    "stability",
]
