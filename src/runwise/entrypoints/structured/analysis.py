"""Structured results of the analysis capabilities: anomalies, stability, health, schema draft."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from runwise.domain.analysis import Analysis, Health, LrAnalysis, Stability
from runwise.domain.model import RunInfo
from runwise.entrypoints.structured.inspect import AnomalyOut, Number, Out, RunRefOut


class LrChangeOut(Out):
    step: int
    kind: str
    lr_before: Number
    lr_after: Number
    loss_before: Number = None
    loss_after: Number = None


class LrAnalysisOut(Out):
    key: str
    shape: str = Field(
        description="constant, warmup, cosine, linear, step, cyclic... or combinations like warmup+cosine"
    )
    peak: Number
    peak_step: int | None
    final: Number
    warmup_end_step: int | None
    changes: list[LrChangeOut]
    response: str = Field(description="how the loss responded around lr changes")

    @classmethod
    def of(cls, lr: LrAnalysis | None) -> LrAnalysisOut | None:
        if lr is None:
            return None
        return cls.copy_of(lr, changes=[LrChangeOut.copy_of(c) for c in lr.changes[:10]])


class AnomaliesOut(Out):
    """Every anomaly episode found on every point of the run, most severe first."""

    run: RunRefOut
    status: Literal["healthy", "warning", "critical"]
    finding: str
    anomalies: list[AnomalyOut]
    total: int = Field(default=0, description="anomalies at this severity; the list holds those the text shows")
    less_severe: int = Field(default=0, description="anomalies below the severity filter")
    recommendations: list[str]
    lr: LrAnalysisOut | None = None

    @classmethod
    def of(cls, info: RunInfo, analysis: Analysis, total: int | None = None) -> AnomaliesOut:
        return cls(
            total=len(analysis.anomalies) if total is None else total,
            run=RunRefOut.copy_of(info),
            status=analysis.health.status,
            finding=analysis.health.finding,
            anomalies=[AnomalyOut.copy_of(a) for a in analysis.anomalies],
            less_severe=analysis.less_severe,
            recommendations=list(analysis.recommendations),
            lr=LrAnalysisOut.of(analysis.lr),
        )


class StabilityKeyOut(Out):
    key: str
    verdict: str = Field(
        description=(
            "stable, noisy, erratic (by late-training CV), too short, or 'ends in NaN'/'ends in Inf' when the "
            "series ends non-finite (the other figures then cover its finite points before that)"
        )
    )
    window: int
    cv: Number
    late_cv: Number
    late_std: Number
    max_rolling_std: Number
    max_rolling_std_step: int | None
    nonfinite: int
    nonfinite_from_step: int | None = Field(
        default=None, description="the step from which the series is NaN/Inf to its end; null if it ends finite"
    )


class StabilityOut(Out):
    """Rolling std and coefficient of variation per key, computed on every point."""

    run: RunRefOut
    keys: list[StabilityKeyOut]

    @classmethod
    def of(cls, info: RunInfo, items: list[Stability]) -> StabilityOut:
        return cls(
            run=RunRefOut.copy_of(info),
            keys=[
                StabilityKeyOut.copy_of(
                    s,
                    verdict=s.label,
                    max_rolling_std=s.max_std,
                    max_rolling_std_step=s.max_std_step,
                    nonfinite_from_step=s.broken_at,
                )
                for s in items
            ],
        )


class HealthOut(Out):
    """One run's health in a few tokens."""

    run: str = Field(description="SOURCE:ID of the run")
    name: str
    last_step: int | None
    status: Literal["healthy", "warning", "critical"]
    finding: str = Field(description="the single most important fact")

    @classmethod
    def of(cls, info: RunInfo, health: Health) -> HealthOut:
        return cls.copy_of(info, run=info.qualified_id, status=health.status, finding=health.finding)


class SchemaDraftOut(Out):
    """A metric schema drafted from a run's keys, as TOML to save and as the parsed fields."""

    run: str = Field(description="the run the draft was inferred from")
    toml: str = Field(description="the file's text; save it as runwise.schema.toml")
    schema_: dict[str, Any] = Field(alias="schema", description="the fields of the [schema] table")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
