"""Use case: summarise one run within a token budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import attrs

from runwise.domain.anomaly import Anomaly
from runwise.domain.model import Run
from runwise.domain.numbers import format_step, format_value
from runwise.domain.schema import MetricSchema
from runwise.domain.series import TREND_NONFINITE
from runwise.domain.shared_repr import fields_repr
from runwise.domain.summary import RunSummary, build_summary, digest, key_metrics
from runwise.ports.renderer import Renderer
from runwise.ports.tokens import TokenCounter
from runwise.services.catalog import Catalog
from runwise.services.fitting import Fitted, fit_answer

DEFAULT_SUMMARY_BUDGET = 400


class AnalysisResult(Protocol):
    anomalies: tuple[Anomaly, ...]
    headline: str
    recommendations: tuple[str, ...]


Analyzer = Callable[[Run, MetricSchema], AnalysisResult]


@attrs.frozen
class FittedSummary:
    """A summary cut to what fits the budget, its rendering and the token count of that rendering."""

    __repr__ = fields_repr

    summary: RunSummary
    text: str
    tokens: int
    budget: int


def summarize(
    catalog: Catalog,
    ref: str,
    *,
    renderer: Renderer,
    counter: TokenCounter,
    schema: MetricSchema,
    analyzer: Analyzer | None = None,
    budget: int | None = None,
) -> FittedSummary:
    """Load the run (every point), analyse it, digest its key metrics and fit the rendering to the budget."""
    summary = build_run_summary(catalog, ref, schema=schema, analyzer=analyzer)
    return fit_summary(summary, ref, renderer=renderer, counter=counter, budget=budget or DEFAULT_SUMMARY_BUDGET)


def build_run_summary(catalog: Catalog, ref: str, *, schema: MetricSchema, analyzer: Analyzer | None) -> RunSummary:
    """The whole summary of a run (every key metric, anomaly and recommendation), before fitting."""
    loaded = catalog.load(ref)
    run = loaded.run

    def build() -> RunSummary:
        if analyzer is not None:
            analysis: Any = analyzer(run, schema)
            headline, anomalies, recs = analysis.headline, analysis.anomalies, analysis.recommendations
        else:
            headline, anomalies, recs = basic_headline(run, schema), (), ()
        return build_summary(
            run, schema, headline=headline, anomalies=anomalies, recommendations=recs, step=loaded.step
        )

    kept_as = getattr(analyzer, "kept_as", None)  # an analyzer whose answers are kept: keep the summary too
    summary = catalog.remember(run, "summary", repr((kept_as, schema, loaded.step)), build) if kept_as else build()
    return with_git(catalog, summary)


def with_git(catalog: Catalog, summary: RunSummary) -> RunSummary:
    """The summary with the commit of the work tree a file log lives in, when its tracker recorded none."""
    info = catalog.with_git(summary.run)
    return summary if info is summary.run else attrs.evolve(summary, run=info)


def fit_summary(
    summary: RunSummary, ref: str, *, renderer: Renderer, counter: TokenCounter, budget: int
) -> FittedSummary:
    """Drop whole low-priority sections, then whole rows, until the rendering fits."""
    fitted = fit_answer(renderer.summary_sections(summary, ref), counter, budget)
    return FittedSummary(cut_summary(summary, fitted), fitted.text, fitted.tokens, budget)


def cut_summary(summary: RunSummary, fitted: Fitted) -> RunSummary:
    """The summary restricted to what the text shows, so JSON and text carry the same facts."""
    return attrs.evolve(
        summary,
        headline=summary.headline if fitted.kept("headline") else "",
        metrics=summary.metrics[: fitted.count("metrics")],
        anomalies=summary.anomalies[: fitted.count("anomalies")],
        recommendations=summary.recommendations[: fitted.count("recommendations")],
        warnings=summary.warnings[: fitted.count("warnings")],
    )


def basic_headline(run: Run, schema: MetricSchema) -> str:
    """Facts without analysis: how far the run got and where its main metric stands."""
    step = run.info.last_step
    state = "" if run.info.state == "unknown" else f" ({run.info.state})"
    parts = [f"Reached step {format_step(step)}{state}." if step is not None else "No steps logged yet."]
    keys = key_metrics(run, schema, limit=1)
    if keys:
        d = digest(run.series[keys[0]], schema)
        if d.first is not None and d.last is not None:
            lately = f" ({d.trend} lately)" if d.trend != TREND_NONFINITE else ""  # a NaN ending has no direction
            parts.append(f"{d.key} went {format_value(d.first, d.role)} → {format_value(d.last, d.role)}{lately}.")
    return " ".join(parts)
