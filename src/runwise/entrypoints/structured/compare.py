"""Wire models for the multi-run tools: comparison, best run, query, aggregation (MCP and --format json)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from runwise.domain.aggregate import Aggregation
from runwise.domain.compare import BestRun, Comparison
from runwise.domain.stats import Estimate
from runwise.entrypoints.structured.inspect import Number, Out, RunRefOut, _jsonable, _num


class ValueAtStepOut(Out):
    value: Number
    step: int | None = Field(description="the step the value was taken at")
    exact: bool | None = Field(default=None, description="at a requested step: whether that step was logged exactly")


class KeyComparisonOut(Out):
    key: str
    higher_is_better: bool | None
    values: list[ValueAtStepOut] = Field(description="one per run, in the order the runs were given")
    pct_change: list[float | str | None] = Field(description="vs the first run, in percent")
    verdicts: list[Literal["better", "worse", "same", "differs"] | None]
    best_run: int | None = Field(description="index of the run with the best value")


class ConfigDifferenceOut(Out):
    key: str
    values: list[Any] = Field(description="per run; null where the run does not set it")


class ComparisonOut(Out):
    """Runs side by side at their last (or a requested) step."""

    runs: list[RunRefOut]
    requested_steps: list[int | None]
    keys: list[KeyComparisonOut]
    total_keys: int
    config_differences: list[ConfigDifferenceOut] | None = None
    tokens: int = 0

    @classmethod
    def of(
        cls, cmp: Comparison, tokens: int = 0, shown: int | None = None, config_shown: int | None = None
    ) -> ComparisonOut:
        keys = cmp.keys if shown is None else cmp.keys[:shown]
        diff = None
        if cmp.config_diff is not None:
            entries = cmp.config_diff.entries if config_shown is None else cmp.config_diff.entries[:config_shown]
            diff = [
                ConfigDifferenceOut(
                    key=e.key, values=[_jsonable(v) if p else None for v, p in zip(e.values, e.present)]
                )
                for e in entries
            ]
        return cls(
            runs=[RunRefOut.copy_of(c.info) for c in cmp.runs],
            requested_steps=[c.requested_step for c in cmp.runs],
            keys=[
                KeyComparisonOut(
                    key=k.key,
                    higher_is_better=k.higher_is_better,
                    values=[ValueAtStepOut(value=_num(v.value), step=v.step, exact=v.exact) for v in k.values],
                    pct_change=[_num(p) for p in k.pct],
                    verdicts=list(k.verdicts),
                    best_run=k.best_index,
                )
                for k in keys
            ],
            total_keys=cmp.total_keys,
            config_differences=diff,
            tokens=tokens,
        )


class RankedRunOut(Out):
    run: RunRefOut
    value: Number
    step: int


class BestRunOut(Out):
    """The best run for a metric, with the ranking behind the verdict."""

    metric: str
    higher_is_better: bool
    direction_inferred: bool = Field(description="true when the direction came from the metric's role")
    mode: Literal["last", "best"]
    best: RankedRunOut
    ranking: list[RankedRunOut]
    skipped: list[str]

    @classmethod
    def of(cls, result: BestRun, limit: int = 20) -> BestRunOut:
        def ranked(r: Any) -> RankedRunOut:
            return RankedRunOut(run=RunRefOut.copy_of(r.info), value=_num(r.value), step=r.step)

        return cls(
            metric=result.metric,
            higher_is_better=result.higher_is_better,
            direction_inferred=result.direction_inferred,
            mode=result.mode,
            best=ranked(result.winner),
            ranking=[ranked(r) for r in result.ranking[:limit]],
            skipped=[f"{name}: {why}" for name, why in result.skipped],
        )


class QueryMatchOut(Out):
    run: RunRefOut
    values: dict[str, Any] = Field(description="the values the expression read for this run")


class QueryResultOut(Out):
    """Runs matching a query expression."""

    query: str
    matched: int
    scanned: int
    matches: list[QueryMatchOut]
    unknown_metrics: list[str] = Field(default_factory=list, description="keys no run logs: likely typos")
    hints: list[str] = Field(default_factory=list, description="likely mistakes in the expression, e.g. 80 for 80%")

    @classmethod
    def of(cls, result: Any) -> QueryResultOut:
        return cls.copy_of(
            result,
            matches=[
                QueryMatchOut(run=RunRefOut.copy_of(m.info), values=_jsonable(dict(m.values))) for m in result.matches
            ],
        )


class EstimateOut(Out):
    mean: Number
    std: Number
    n: int
    ci_low: Number
    ci_high: Number

    @classmethod
    def of(cls, e: Estimate | None) -> EstimateOut | None:
        if e is None:
            return None
        return cls.copy_of(e, ci_low=e.low, ci_high=e.high)


class RunGroupOut(Out):
    label: str
    runs: list[str]
    final: EstimateOut | None
    best: EstimateOut | None
    no_final: list[str] = Field(
        default_factory=list,
        description="runs left out of the final estimate and why, e.g. 'lr-too-high ends in NaN at step 700'",
    )


class AggregationOut(Out):
    """Groups of runs (differing only by seed, or by a config key) with mean ± std and confidence intervals."""

    metric: str
    group_by: str | None
    confidence: float
    ci_clipped_to: list[float] | None = Field(
        default=None, description="[low, high] the intervals were clipped to (a fraction: [0, 1]); null if none"
    )
    groups: list[RunGroupOut]

    @classmethod
    def of(cls, agg: Aggregation) -> AggregationOut:
        return cls.copy_of(
            agg,
            ci_clipped_to=list(agg.bounds) if agg.bounds is not None else None,
            groups=[
                RunGroupOut(
                    label=g.label,
                    runs=[m.info.name for m in g.members],
                    final=EstimateOut.of(g.final),
                    best=EstimateOut.of(g.best),
                    no_final=list(g.notes),
                )
                for g in agg.groups
            ],
        )
