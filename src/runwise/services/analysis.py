"""Use cases of the analysis engine: anomalies, stability and health of one run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from runwise.domain.analysis import Analysis, Health, Stability, analyze, stability
from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.hints import Param, list_keys_hint, say
from runwise.domain.model import Run, RunInfo
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr
from runwise.domain.summary import key_metrics
from runwise.services.catalog import Catalog

MAX_STABILITY_KEYS = 20


@attrs.frozen
class RunAnalysis:
    """A run's analysis with the run it is about (and the step used for REF@STEP)."""

    __repr__ = fields_repr

    info: RunInfo
    analysis: Analysis
    step: int | None = None


def analyze_run(
    catalog: Catalog, ref: str, schema: MetricSchema, analyzer: Callable[[Run, MetricSchema], Any] | None = None
) -> RunAnalysis:
    """Every detector on every point of the run (with the app's analyzer when one is injected)."""
    loaded = catalog.load(ref)
    result: Analysis = (analyzer or analyze)(loaded.run, schema)
    return RunAnalysis(loaded.run.info, result, loaded.step)


def run_health(
    catalog: Catalog, ref: str, schema: MetricSchema, analyzer: Callable[[Run, MetricSchema], Any] | None = None
) -> tuple[RunInfo, Health]:
    """healthy / warning / critical and the single most important finding."""
    result = analyze_run(catalog, ref, schema, analyzer)
    return result.info, result.analysis.health


def run_stability(
    catalog: Catalog, ref: str, keys: Sequence[str] | None, schema: MetricSchema, window: int | None = None
) -> tuple[RunInfo, list[Stability]]:
    """Rolling std and coefficient of variation for the named keys (default: the run's key metrics)."""
    if window is not None and window < 2:
        raise InvalidInput(f"window must be at least 2 points, got {window}")
    loaded = catalog.load(ref)
    series = loaded.run.series
    chosen = list(keys) if keys else key_metrics(loaded.run, schema, limit=4)
    if len(chosen) > MAX_STABILITY_KEYS:
        raise InvalidInput(
            f"too many keys ({len(chosen)}; at most {MAX_STABILITY_KEYS})", say("name fewer ", Param("keys"))
        )
    for key in chosen:
        if key not in series:
            raise MetricNotFound(
                f"run '{loaded.run.info.name}' has no metric '{key}'", list_keys_hint(loaded.run.info.name)
            )
    return loaded.run.info, [stability(series[k], window) for k in chosen]
