"""Structured results of the inspection capabilities: the MCP structured output and `--format json`, one and the same."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from runwise.domain.inspect import History, KeyListing, StatsTable
from runwise.domain.model import RunInfo
from runwise.domain.summary import RunSummary


def _num(value: Any) -> Any:
    """JSON has no NaN/Infinity: non-finite values travel as the strings "NaN", "Infinity", "-Infinity"."""
    if not isinstance(value, float) or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


Number = Annotated[float | str | None, BeforeValidator(_num)]  # a float, or "NaN" / "Infinity" / "-Infinity"


class Out(BaseModel):
    """A structured result drawn from a domain object: fields named alike are copied, numbers made JSON-safe."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)

    @classmethod
    def copy_of(cls, source: object, **fields: Any) -> Self:
        """The model with every field `source` has under the same name, and `fields` for the others."""
        taken = {
            name: getattr(source, name) for name in cls.model_fields if name not in fields and hasattr(source, name)
        }
        return cls.model_validate({**taken, **fields})


class GitOut(Out):
    commit: str | None = None
    remote: str | None = None
    dirty: bool | None = None


class RunRefOut(Out):
    """Which run an answer is about; the full metadata comes from list_runs and summarize_run."""

    id: str = Field(description="pass SOURCE:ID (or the id) back as `run`")
    name: str
    source: str
    state: Literal["running", "finished", "crashed", "unknown"]
    last_step: int | None = None


class RunInfoOut(RunRefOut):
    """Run metadata."""

    project: str | None = None
    created_at: float | None = Field(default=None, description="unix seconds")
    updated_at: float | None = Field(default=None, description="unix seconds")
    runtime_s: float | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    git: GitOut | None = None
    path: str | None = None


class MetricDigestOut(Out):
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


class AnomalyOut(Out):
    kind: str
    metric: str
    start_step: int
    end_step: int
    peak_step: int
    severity: Literal["info", "warning", "critical"]
    message: str
    value: Number = None


class RunSummaryOut(Out):
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
            run=RunInfoOut.copy_of(summary.run),
            headline=summary.headline,
            metrics=[MetricDigestOut.copy_of(d) for d in summary.metrics],
            anomalies=[AnomalyOut.copy_of(a) for a in summary.anomalies],
            recommendations=list(summary.recommendations),
            warnings=list(summary.warnings),
            tokens=tokens,
            as_of_step=summary.step,
        )


class RunListOut(Out):
    runs: list[RunInfoOut]
    total: int

    @classmethod
    def of(cls, runs: Sequence[RunInfo], total: int | None = None) -> RunListOut:
        return cls(runs=[RunInfoOut.copy_of(r) for r in runs], total=len(runs) if total is None else total)


class KeyOut(Out):
    key: str
    points: int
    first_step: int | None
    last_step: int | None
    nonfinite: int = 0


class KeyGroupOut(Out):
    prefix: str = Field(description="shared prefix such as 'train/'; empty for keys without one")
    keys: list[KeyOut]


class KeyListOut(Out):
    run: RunRefOut
    total: int
    groups: list[KeyGroupOut]

    @classmethod
    def of(cls, listing: KeyListing) -> KeyListOut:
        groups = [
            KeyGroupOut(prefix=g.prefix, keys=[KeyOut.copy_of(k, points=k.count) for k in g.keys])
            for g in listing.groups
        ]
        return cls.copy_of(listing, groups=groups)


class SeriesOut(Out):
    key: str
    total_points: int = Field(description="points in the requested range before downsampling")
    steps: list[int]
    values: list[Number]


class AlignedOut(Out):
    grid_key: str = Field(description="the sparsest key, whose steps every column is read at")
    steps: list[int]
    columns: dict[str, list[Number]] = Field(
        description="per key: value at the last logged step at or before each step"
    )


class HistoryOut(Out):
    run: RunRefOut
    samples: int
    series: list[SeriesOut]
    aligned: AlignedOut | None = None

    @classmethod
    def of(cls, h: History) -> HistoryOut:
        return cls.copy_of(
            h,
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


class KeyStatsOut(Out):
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


class StatsOut(Out):
    run: RunRefOut
    stats: list[KeyStatsOut]

    @classmethod
    def of(cls, table: StatsTable) -> StatsOut:
        rows = []
        for st in table.rows:
            best_value, best_step = table.best.get(st.key, (None, None))
            rows.append(KeyStatsOut.copy_of(st, points=st.count, best=best_value, best_step=best_step))
        return cls(run=RunRefOut.copy_of(table.run), stats=rows)


class ConfigOut(Out):
    run: RunRefOut
    config: dict[str, Any]

    @classmethod
    def of(cls, info: RunInfo, config: Mapping[str, Any]) -> ConfigOut:
        return cls(run=RunRefOut.copy_of(info), config=_jsonable(config))


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
