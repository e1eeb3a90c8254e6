"""Use case: a report of one or more runs (headline, metrics, every anomaly, lr, advice, config, charts).

The report is written to a file the user names, or to a name made from the run; never into a run's folder
(Runwise never writes where the logs are).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import PurePath

import attrs

from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.hints import Param, say
from runwise.domain.labels import KeyLabels
from runwise.domain.report import Report, RunReport
from runwise.domain.schema import MetricSchema
from runwise.domain.summary import build_summary
from runwise.services.catalog import Catalog
from runwise.services.charts import ChartedRun, chart_runs, load_charted
from runwise.services.summarize import Analyzer, basic_headline, with_git

REPORT_COLUMNS = 960  # the width charts are drawn at, in CSS pixels: two points per pixel column
REPORT_KEYS = 6  # charts by default: the runs' key metrics, then metrics with anomalies


def build_report(
    catalog: Catalog,
    refs: Sequence[str],
    schema: MetricSchema,
    *,
    analyzer: Analyzer | None,
    keys: Sequence[str] | None = None,
    version: str = "",
    columns: int = REPORT_COLUMNS,
) -> Report:
    """Load and analyse every run, then chart the chosen keys (default: the key metrics) for all of them."""
    runs = load_charted(catalog, refs, schema, analyzer)
    try:
        charts = chart_runs(runs, keys, schema, columns=columns, default_limit=REPORT_KEYS).charts
    except MetricNotFound:
        if keys:
            raise
        charts = ()  # a run that logged no metric yet still has a headline, a state and a config to report
    parts = tuple(_with_git(catalog, _run_report(r, schema)) for r in runs)
    title = runs[0].label if len(runs) == 1 else f"{len(runs)} runs: " + ", ".join(r.label for r in runs)
    labels = KeyLabels(schema.display_names)
    return Report(title=title, runs=parts, charts=charts, version=version, labels=labels)


def _with_git(catalog: Catalog, part: RunReport) -> RunReport:
    summary = with_git(catalog, part.summary)
    return part if summary is part.summary else attrs.evolve(part, summary=summary)


def _run_report(charted: ChartedRun, schema: MetricSchema) -> RunReport:
    analysis = charted.analysis
    headline = analysis.headline if analysis is not None else basic_headline(charted.run, schema)
    summary = build_summary(
        charted.run,
        schema,
        headline=headline,
        anomalies=charted.anomalies,
        recommendations=tuple(analysis.recommendations) if analysis is not None else (),
        step=charted.step,
    )
    health = getattr(analysis, "health", None)
    return RunReport(
        summary=summary,
        health=getattr(health, "status", None),
        finding=getattr(health, "finding", ""),
        lr=getattr(analysis, "lr", None),
        config=dict(charted.run.config),
    )


def default_report_name(report: Report, suffix: str) -> str:
    """A file name made from the run (or runs): runwise-report-<name>.html."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", report.runs[0].summary.run.name).strip("-.") or "run"
    more = f"-and-{len(report.runs) - 1}-more" if len(report.runs) > 1 else ""
    return f"runwise-report-{slug[:60]}{more}{suffix}"


def check_output_path(
    target: str, report: Report, *, resolve: Callable[[str], str], is_file: Callable[[str], bool]
) -> None:
    """Refuse a report path inside a run's folder (or the folder of a run's log file): logs are never written to.

    `target` must be absolute and resolved (symlinks followed), as `resolve` makes the runs' paths.
    """
    out = PurePath(target)
    for part in report.runs:
        path = part.summary.run.path
        if not path:
            continue
        run_path = PurePath(resolve(path))
        folder = run_path.parent if is_file(str(run_path)) else run_path
        if folder == out.parent or folder in out.parents:
            raise InvalidInput(
                f"{target} is inside the folder of run '{part.summary.run.name}' ({folder}); "
                "Runwise never writes where logs are",
                say("pass ", Param("output"), " a path outside the run's folder"),
            )
