"""The whole analysis of a run: anomalies, health, headline, recommendations and the lr schedule."""

from __future__ import annotations

import attrs

from runwise.domain.analysis.detect import detect
from runwise.domain.analysis.facts import key_phrases
from runwise.domain.analysis.headline import headline
from runwise.domain.analysis.health import Health, health
from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.recommendations import recommendations
from runwise.domain.anomaly import SEVERITY_RANK, Anomaly, Severity
from runwise.domain.model import Run
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class Analysis:
    """Everything the analysis engine says about one run."""

    __repr__ = fields_repr

    anomalies: tuple[Anomaly, ...]  # most severe first, then by onset
    health: Health
    headline: str
    recommendations: tuple[str, ...]
    lr: LrAnalysis | None = None
    less_severe: int = 0  # anomalies left out by a severity filter (`at_least`); health still counts them

    def at_least(self, severity: Severity | None) -> Analysis:
        """The analysis with only anomalies of `severity` or worse, counting the ones left out so a view can say
        that something less severe exists (health and recommendations still speak of the whole run)."""
        if severity is None:
            return self
        floor = SEVERITY_RANK[severity]
        kept = tuple(a for a in self.anomalies if SEVERITY_RANK[a.severity] >= floor)
        return attrs.evolve(self, anomalies=kept, less_severe=self.less_severe + len(self.anomalies) - len(kept))


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
