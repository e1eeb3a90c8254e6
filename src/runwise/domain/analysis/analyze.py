"""The whole analysis of a run: anomalies, health, headline, recommendations and the lr schedule."""

from __future__ import annotations

import attrs

from runwise.domain.analysis.detect import detect
from runwise.domain.analysis.facts import key_phrases
from runwise.domain.analysis.headline import headline
from runwise.domain.analysis.health import Health, health
from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.recommendations import recommendations
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import Run
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema


@attrs.frozen
class Analysis:
    """Everything the analysis engine says about one run."""

    anomalies: tuple[Anomaly, ...]  # most severe first, then by onset
    health: Health
    headline: str
    recommendations: tuple[str, ...]
    lr: LrAnalysis | None = None


def analyze(run: Run, schema: MetricSchema = DEFAULT_SCHEMA) -> Analysis:
    """Run every detector on every point of the run and say what matters, in few words."""
    found = detect(run, schema)
    phrases = key_phrases(run, found.keys, schema)
    return Analysis(
        anomalies=found.anomalies,
        health=health(found.anomalies, found.keys, phrases[:2]),
        headline=headline(run, found.anomalies, found.keys, phrases),
        recommendations=recommendations(found.anomalies, run, found.keys, found.lr),
        lr=found.lr,
    )
