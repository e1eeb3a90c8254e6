"""The analysis engine: anomaly detectors, stability, lr analysis, health, headline and recommendations.

Pure numpy over every point of every series, in linear time; no I/O.
"""

from __future__ import annotations

from runwise.domain.analysis.analyze import Analysis, analyze
from runwise.domain.analysis.detect import detect, detect_anomalies
from runwise.domain.analysis.health import Health, HealthStatus
from runwise.domain.analysis.keys import KeyRoles, assign
from runwise.domain.analysis.lr import LrAnalysis, LrChange, lr_analysis
from runwise.domain.analysis.stability import Stability, stability
from runwise.domain.analysis.thresholds import DEFAULTS as THRESHOLD_DEFAULTS
from runwise.domain.analysis.thresholds import Thresholds

__all__ = [
    "THRESHOLD_DEFAULTS",
    "Analysis",
    "Health",
    "HealthStatus",
    "KeyRoles",
    "LrAnalysis",
    "LrChange",
    "Stability",
    "Thresholds",
    "analyze",
    "assign",
    "detect",
    "detect_anomalies",
    "lr_analysis",
    "stability",
]
