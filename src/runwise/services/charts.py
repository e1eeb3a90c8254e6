"""Use case: charts of metrics for one or more runs, with each run's anomaly episodes.

Every point is analysed (the detectors see the full series); only the drawing is downsampled, to about two
points per pixel column. The terminal plot, the PNG for assistants and the HTML report all start here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import attrs

from runwise.domain.anomaly import Anomaly
from runwise.domain.chart import Chart, build_chart
from runwise.domain.errors import InvalidInput, MetricNotFound
from runwise.domain.hints import Param, Text, list_keys_hint, say
from runwise.domain.labels import KeyLabels
from runwise.domain.model import Run, RunInfo
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr
from runwise.domain.summary import key_metrics
from runwise.services.catalog import Catalog, LoadedRun
from runwise.services.summarize import Analyzer

MAX_RUNS = 8
MAX_KEYS = 8
_ANALYSES = 8  # recent analyses kept: zooming into one run (other keys, other steps) does not analyse it again
_recent: OrderedDict[tuple[int, int, int], tuple[Run, Any]] = OrderedDict()
_recent_lock = threading.Lock()


@attrs.frozen
class ChartedRun:
    """A run as charted: what it is, its analysis (None without an analyzer) and the step of REF@STEP."""

    __repr__ = fields_repr

    info: RunInfo
    label: str
    run: Run = attrs.field(repr=False)
    analysis: Any  # the analyzer's result: anomalies, headline, recommendations (and lr for the default one)
    step: int | None = None

    @property
    def anomalies(self) -> tuple[Anomaly, ...]:
        return tuple(self.analysis.anomalies) if self.analysis is not None else ()


@attrs.frozen
class ChartSet:
    """Charts of the chosen keys and the runs they are about."""

    __repr__ = fields_repr

    runs: tuple[ChartedRun, ...]
    charts: tuple[Chart, ...]
    start: int | None = None
    stop: int | None = None

    def alt_text(self) -> str:
        """One line that says what the picture shows, for readers who cannot see it."""
        names = ", ".join(r.label for r in self.runs)
        parts = []
        for chart in self.charts:
            found = len(chart.episodes)
            broke = [
                f"{line.label} {line.broke_as} from step {line.broke_at:,}" for line in chart.lines if line.broke_at
            ]
            text = f"{chart.title}{' (log)' if chart.log_y else ''}: {found} anomal{'y' if found == 1 else 'ies'}"
            parts.append(text + (f", {'; '.join(broke)}" if broke else ""))
        span = f"steps {self.charts[0].x_min:,}–{self.charts[0].x_max:,}" if self.charts else "no steps"
        return f"Chart of {names} over {span}: " + "; ".join(parts) + "."


def load_charted(
    catalog: Catalog, refs: Sequence[str], schema: MetricSchema, analyzer: Analyzer | None
) -> list[ChartedRun]:
    """Load and analyse each run once; labels are run names, made unique with the id when two names clash."""
    if not refs:
        raise InvalidInput("no runs given", "name one or more runs (REF), e.g. latest")
    if len(refs) > MAX_RUNS:
        raise InvalidInput(f"too many runs ({len(refs)}; at most {MAX_RUNS} on one chart)", "name fewer runs")
    loaded: list[LoadedRun] = [catalog.load(ref) for ref in refs]
    names = [lr.run.info.name for lr in loaded]
    out = []
    for item, name in zip(loaded, names):
        label = name if names.count(name) == 1 else f"{name} ({item.run.info.qualified_id})"
        analysis = _analysis(analyzer, item.run, schema) if analyzer is not None else None
        out.append(ChartedRun(item.run.info, label, item.run, analysis, item.step))
    return out


def _analysis(analyzer: Analyzer, run: Run, schema: MetricSchema) -> Any:
    """The analyzer's result for this run object, reused while the catalog hands out the same (unchanged) run.

    Analysing every point of a 1M-step run takes most of a second (bench/bench_plot_metrics.py); drawing takes
    a fifth of that, so a second chart of the same run should not pay for the analysis again. The run itself is
    held with its result, so its id cannot be reused by another object while the entry lives.
    """
    key = (id(run), id(schema), id(analyzer))
    with _recent_lock:
        hit = _recent.get(key)
        if hit is not None and hit[0] is run:
            _recent.move_to_end(key)
            return hit[1]
    result = analyzer(run, schema)
    with _recent_lock:
        _recent[key] = (run, result)
        while len(_recent) > _ANALYSES:
            _recent.popitem(last=False)
    return result


def default_keys(runs: Sequence[ChartedRun], schema: MetricSchema, limit: int) -> list[str]:
    """The first runs' key metrics (losses, validation, accuracy, lr...), then metrics with anomalies."""
    chosen: list[str] = []
    for r in runs:
        for key in key_metrics(r.run, schema, limit=limit):
            if key not in chosen:
                chosen.append(key)
    for r in runs:
        for a in r.anomalies:
            if a.metric not in chosen and a.metric in r.run.series:
                chosen.append(a.metric)
    return chosen[:limit]


def chart_runs(
    runs: Sequence[ChartedRun],
    keys: Sequence[str] | None,
    schema: MetricSchema,
    *,
    columns: int,
    default_limit: int = 2,
    start: int | None = None,
    stop: int | None = None,
    log: bool | None = None,
) -> ChartSet:
    """A chart per key with a line per run that logged it."""
    if start is not None and stop is not None and start > stop:
        raise InvalidInput(
            say(Param("from_step", start), " is after ", Param("to_step", stop)),
            "give a start step before the end step",
        )
    chosen = list(dict.fromkeys(keys)) if keys else default_keys(runs, schema, default_limit)
    if len(chosen) > MAX_KEYS:
        raise InvalidInput(f"too many keys ({len(chosen)}; at most {MAX_KEYS})", "name fewer keys with -k")
    if not chosen:
        raise MetricNotFound("the runs have no metrics to chart", list_keys_hint())
    charts = []
    labels = KeyLabels(schema.display_names)
    for key in chosen:
        having = [(r.label, r.run.series[key], r.anomalies) for r in runs if key in r.run.series]
        if not having:
            raise MetricNotFound(_missing(runs, key), _near(runs, key))
        charts.append(build_chart(key, having, columns=columns, log=log, start=start, stop=stop, labels=labels))
    return ChartSet(tuple(runs), tuple(charts), start, stop)


def _missing(runs: Sequence[ChartedRun], key: str) -> str:
    who = f"run '{runs[0].info.name}' has" if len(runs) == 1 else "none of the runs has"
    return f"{who} no metric '{key}'"


def _near(runs: Sequence[ChartedRun], key: str) -> Text:
    close = sorted({k for r in runs for k in r.run.series if key.lower() in k.lower()})
    return f"did you mean {', '.join(close[:3])}?" if close else list_keys_hint(runs[0].info.name if runs else "REF")


def plot(
    catalog: Catalog,
    refs: Sequence[str],
    keys: Sequence[str] | None,
    schema: MetricSchema,
    *,
    analyzer: Analyzer | None,
    columns: int,
    start: int | None = None,
    stop: int | None = None,
    log: bool | None = None,
) -> ChartSet:
    """Charts of `keys` (default: the main metric or two) for the runs, anomaly episodes marked."""
    runs = load_charted(catalog, refs, schema, analyzer)
    return chart_runs(runs, keys, schema, columns=columns, start=start, stop=stop, log=log)
