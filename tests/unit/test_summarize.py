from __future__ import annotations

import math

import pytest

from runwise.adapters.renderers.tabular import MarkdownRenderer, TextRenderer
from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.domain.errors import RunNotFound
from runwise.domain.schema import MetricSchema
from runwise.services.catalog import Catalog
from runwise.services.summarize import summarize
from tests.helpers import make_run, wide_run

COUNTER = EstimatingTokenCounter()
REPEAT = 5  # anomaly messages long enough that the old priorities dropped the metrics table


def _summarize(run, ref="latest", renderer=None, budget=None, schema=None):  # type: ignore[no-untyped-def]
    catalog = Catalog([InMemoryRunSource([run])])
    return summarize(
        catalog,
        ref,
        renderer=renderer or TextRenderer(),
        counter=COUNTER,
        schema=schema or MetricSchema(),
        budget=budget,
    )


@pytest.mark.parametrize("renderer", [TextRenderer(), MarkdownRenderer()])
def test_fifty_metric_run_fits_default_budget(renderer) -> None:  # type: ignore[no-untyped-def]
    fitted = _summarize(wide_run(), renderer=renderer)
    assert fitted.tokens <= 400 and COUNTER.count(fitted.text) == fitted.tokens
    lines = fitted.text.splitlines()
    assert "train/loss" in lines[2] or "train/loss" in fitted.text.split("\n", 3)[-1][:400]
    assert "more metrics" in fitted.text


def test_key_metrics_come_first() -> None:
    fitted = _summarize(wide_run())
    keys = [d.key for d in fitted.summary.metrics]
    assert keys[:4] == ["train/loss", "val/loss", "train/lr", "train/grad_norm"]


def test_smaller_budget_keeps_whole_rows() -> None:
    full = _summarize(wide_run(), budget=2000)
    small = _summarize(wide_run(), budget=150)
    assert small.tokens <= 150 < full.tokens
    full_lines = set(full.text.splitlines())
    for line in small.text.splitlines():
        assert line in full_lines or line.startswith("+"), line


def test_best_is_direction_aware_and_nan_is_shown() -> None:
    run = make_run("r", train__loss=[3.0, 2.0, 1.0, math.nan], val__acc=([0, 10], [0.5, 0.9]))
    fitted = _summarize(run)
    digests = {d.key: d for d in fitted.summary.metrics}
    assert math.isnan(digests["train/loss"].last) and digests["train/loss"].best == 1.0
    assert digests["val/acc"].best == 0.9 and digests["val/acc"].best_step == 10
    assert "NaN" in fitted.text and "non-finite" in fitted.text


def test_at_step_summary_says_which_step_was_used() -> None:
    run = make_run("r", loss=([0, 100, 200, 300], [4.0, 3.0, 2.0, 1.0]))
    fitted = _summarize(run, ref="r@250")
    assert fitted.summary.step == 200
    assert "as of step 200" in fitted.text
    assert fitted.summary.metrics[0].last == 2.0


def test_unknown_run() -> None:
    with pytest.raises(RunNotFound):
        _summarize(make_run("r", loss=[1.0]), ref="nope")


def _anomaly_heavy_summary():  # type: ignore[no-untyped-def]
    from runwise.domain.anomaly import Anomaly
    from runwise.domain.summary import build_summary

    run = make_run(
        "heavy",
        train__loss=[3.0 - i * 0.01 for i in range(200)],
        val__loss=([0, 50, 100, 150], [2.5, 2.0, 1.9, 2.2]),
        val__acc=([0, 50, 100, 150], [0.2, 0.5, 0.6, 0.55]),
        train__acc=[0.1 + i * 0.003 for i in range(200)],
        lr=[1e-3] * 200,
        grad_norm=[1.0 + (i % 7) for i in range(200)],
    )
    anomalies = tuple(
        Anomaly(
            kind,
            metric,
            i * 10,
            i * 10 + 5,
            i * 10 + 2,
            "warning",
            f"{metric} {kind} episode {i}: " + "rose from 0.4164 to 26.77 (64×) by step 509, " * REPEAT,
        )
        for i, (kind, metric) in enumerate(
            [("loss_spike", "train/loss"), ("overfitting", "val/loss"), ("instability", "grad_norm")] * 3
        )
    )
    recs = tuple(f"Recommendation {i}: " + "do something sensible about it " * 3 for i in range(4))
    headline = "Training reached step 199. " + "A long headline sentence about the run. " * 8
    return build_summary(run, MetricSchema(), headline=headline, anomalies=anomalies, recommendations=recs)


@pytest.mark.parametrize("renderer", [TextRenderer(), MarkdownRenderer()], ids=["text", "markdown"])
def test_key_metrics_survive_before_secondary_anomalies(renderer) -> None:  # type: ignore[no-untyped-def]
    """Issue: on anomaly-heavy runs the markdown/JSON summary dropped the whole metrics table to fit 400 tokens."""
    from runwise.services.summarize import fit_summary

    summary = _anomaly_heavy_summary()
    fitted = fit_summary(summary, "heavy", renderer=renderer, counter=COUNTER, budget=400)
    assert fitted.tokens <= 400
    shown = [d.key for d in fitted.summary.metrics]  # the JSON carries what the text shows
    assert shown[:3] == ["train/loss", "val/loss", "val/acc"]
    for digest in fitted.summary.metrics[:3]:
        assert digest.key in fitted.text and digest.best is not None
    assert len(fitted.summary.anomalies) < len(summary.anomalies)  # secondary anomalies gave way first
