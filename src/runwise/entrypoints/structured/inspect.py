"""Pydantic wire models: the MCP tools' structured output and the CLI's `--format json`, one and the same."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from runwise.domain.anomaly import Anomaly
from runwise.domain.inspect import History, KeyListing, StatsTable
from runwise.domain.model import RunInfo
from runwise.domain.summary import MetricDigest, RunSummary

Number = float | str | None  # a float, or "NaN" / "Infinity" / "-Infinity" (JSON has no non-finite numbers)


def _num(value: float | None) -> Number:
    """JSON has no NaN/Infinity: non-finite values travel as the strings "NaN", "Infinity", "-Infinity"."""
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


class GitOut(BaseModel):
    commit: str | None = None
    remote: str | None = None
    dirty: bool | None = None


class RunInfoOut(BaseModel):
    """Run metadata."""

    id: str = Field(description="run id within its source; SOURCE:ID is unique across sources")
    name: str
    source: str
    project: str | None = None
    state: Literal["running", "finished", "crashed", "unknown"]
    created_at: float | None = Field(default=None, description="unix seconds")
    updated_at: float | None = Field(default=None, description="unix seconds")
    last_step: int | None = None
    runtime_s: float | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    git: GitOut | None = None
    path: str | None = None

    @classmethod
    def of(cls, info: RunInfo) -> RunInfoOut:
        git = GitOut(commit=info.git.commit, remote=info.git.remote, dirty=info.git.dirty) if info.git else None
        return cls(
            id=info.id,
            name=info.name,
            source=info.source,
            project=info.project,
            state=info.state,
            created_at=info.created_at,
            updated_at=info.updated_at,
            last_step=info.last_step,
            runtime_s=info.runtime_s,
            tags=list(info.tags),
            notes=info.notes,
            git=git,
            path=info.path,
        )


class RunRefOut(BaseModel):
    """Which run an answer is about; the full metadata comes from list_runs and summarize_run."""

    id: str = Field(description="pass SOURCE:ID (or the id) back as `run`")
    name: str
    source: str
    state: Literal["running", "finished", "crashed", "unknown"]
    last_step: int | None = None

    @classmethod
    def of(cls, info: RunInfo) -> RunRefOut:
        return cls(id=info.id, name=info.name, source=info.source, state=info.state, last_step=info.last_step)


class MetricDigestOut(BaseModel):
    key: str
    last: Number
    last_step: int | None
    best: Number
    best_step: int | None
    trend: str = Field(
        description=(
            "↑ rising, ↓ falling, → flat, ? too few points (over the last 20% of the run), "
            "× ends in NaN/Inf (no direction: the metric broke)"
        )
    )
    sparkline: str

    @classmethod
    def of(cls, d: MetricDigest) -> MetricDigestOut:
        return cls(
            key=d.key,
            last=_num(d.last),
            last_step=d.last_step,
            best=_num(d.best),
            best_step=d.best_step,
            trend=d.trend,
            sparkline=d.sparkline,
        )


class AnomalyOut(BaseModel):
    kind: str
    metric: str
    start_step: int
    end_step: int
    peak_step: int
    severity: Literal["info", "warning", "critical"]
    message: str
    value: Number = None

    @classmethod
    def of(cls, a: Anomaly) -> AnomalyOut:
        return cls(
            kind=a.kind,
            metric=a.metric,
            start_step=a.start_step,
            end_step=a.end_step,
            peak_step=a.peak_step,
            severity=a.severity,
            message=a.message,
            value=_num(a.value),
        )


class RunSummaryOut(BaseModel):
    """A run summary fitted to a token budget."""

    run: RunInfoOut
    headline: str
    metrics: list[MetricDigestOut]
    anomalies: list[AnomalyOut]
    recommendations: list[str]
    warnings: list[str] = Field(default_factory=list, description="problems met while reading the logs (damage, gaps)")
    tokens: int = Field(description="token count of the text rendering")
    as_of_step: int | None = Field(default=None, description="set when REF@STEP asked for the run at a step")

    @classmethod
    def of(cls, summary: RunSummary, tokens: int) -> RunSummaryOut:
        return cls(
            run=RunInfoOut.of(summary.run),
            headline=summary.headline,
            metrics=[MetricDigestOut.of(d) for d in summary.metrics],
            anomalies=[AnomalyOut.of(a) for a in summary.anomalies],
            recommendations=list(summary.recommendations),
            warnings=list(summary.warnings),
            tokens=tokens,
            as_of_step=summary.step,
        )


class RunListOut(BaseModel):
    runs: list[RunInfoOut]
    total: int

    @classmethod
    def of(cls, runs: Sequence[RunInfo], total: int | None = None) -> RunListOut:
        return cls(runs=[RunInfoOut.of(r) for r in runs], total=len(runs) if total is None else total)


class KeyOut(BaseModel):
    key: str
    points: int
    first_step: int | None
    last_step: int | None
    nonfinite: int = 0


class KeyGroupOut(BaseModel):
    prefix: str = Field(description="shared prefix such as 'train/'; empty for keys without one")
    keys: list[KeyOut]


class KeyListOut(BaseModel):
    run: RunRefOut
    total: int
    groups: list[KeyGroupOut]

    @classmethod
    def of(cls, listing: KeyListing) -> KeyListOut:
        return cls(
            run=RunRefOut.of(listing.run),
            total=listing.total,
            groups=[
                KeyGroupOut(
                    prefix=g.prefix,
                    keys=[
                        KeyOut(
                            key=k.key,
                            points=k.count,
                            first_step=k.first_step,
                            last_step=k.last_step,
                            nonfinite=k.nonfinite,
                        )
                        for k in g.keys
                    ],
                )
                for g in listing.groups
            ],
        )


class SeriesOut(BaseModel):
    key: str
    total_points: int = Field(description="points in the requested range before downsampling")
    steps: list[int]
    values: list[Number]


class AlignedOut(BaseModel):
    grid_key: str = Field(description="the sparsest key, whose steps every column is read at")
    steps: list[int]
    columns: dict[str, list[Number]] = Field(
        description="per key: value at the last logged step at or before each step"
    )


class HistoryOut(BaseModel):
    run: RunRefOut
    samples: int
    series: list[SeriesOut]
    aligned: AlignedOut | None = None

    @classmethod
    def of(cls, h: History) -> HistoryOut:
        return cls(
            run=RunRefOut.of(h.run),
            samples=h.samples,
            series=[
                SeriesOut(
                    key=i.series.key,
                    total_points=i.total_points,
                    steps=[int(s) for s in i.series.steps],
                    values=[_num(float(v)) for v in i.series.values],
                )
                for i in h.items
            ],
            aligned=None
            if h.aligned is None
            else AlignedOut(
                grid_key=h.aligned.grid_key,
                steps=[int(x) for x in h.aligned.steps],
                columns={k: [_num(float(v)) for v in values] for k, values in h.aligned.columns},
            ),
        )


class KeyStatsOut(BaseModel):
    key: str
    points: int
    nonfinite: int
    first_nonfinite_step: int | None
    min: Number
    min_step: int | None
    max: Number
    max_step: int | None
    mean: Number
    std: Number
    last: Number
    last_step: int | None
    best: Number
    best_step: int | None


class StatsOut(BaseModel):
    run: RunRefOut
    stats: list[KeyStatsOut]

    @classmethod
    def of(cls, table: StatsTable) -> StatsOut:
        rows = []
        for st in table.rows:
            best_value, best_step = table.best.get(st.key, (None, None))
            rows.append(
                KeyStatsOut(
                    key=st.key,
                    points=st.count,
                    nonfinite=st.nonfinite,
                    first_nonfinite_step=st.first_nonfinite_step,
                    min=_num(st.min),
                    min_step=st.min_step,
                    max=_num(st.max),
                    max_step=st.max_step,
                    mean=_num(st.mean),
                    std=_num(st.std),
                    last=_num(st.last),
                    last_step=st.last_step,
                    best=_num(best_value),
                    best_step=best_step,
                )
            )
        return cls(run=RunRefOut.of(table.run), stats=rows)


class ConfigOut(BaseModel):
    run: RunRefOut
    config: dict[str, Any]

    @classmethod
    def of(cls, info: RunInfo, config: Mapping[str, Any]) -> ConfigOut:
        return cls(run=RunRefOut.of(info), config=_jsonable(config))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return _num(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
