"""One run, one set of numbers: the headline and the detectors quote logged points as the table shows them, and
mark every smoothed figure as smoothed."""

from __future__ import annotations

import re

import numpy as np

from runwise.domain.analysis import analyze, detect_anomalies
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.numbers import format_number
from runwise.domain.summary import build_summary


def _run(**series: np.ndarray) -> Run:
    built = {k.replace("__", "/"): MetricSeries(k.replace("__", "/"), np.arange(v.size), v) for k, v in series.items()}
    last = max(s.last_step or 0 for s in built.values())
    return Run(RunInfo("r", "r", "memory", state="finished", last_step=last), series=built)


def _noisy_loss(n: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 2.0 * np.exp(-t / 200) + 0.3 + rng.normal(0, 0.05, n)


def test_smoothed_end_level_is_marked_and_raw_last_matches_the_table() -> None:
    run = _run(train__loss=_noisy_loss())
    summary = build_summary(run, headline=analyze(run).headline)
    digest = summary.metrics[0]
    raw_first, raw_last = format_number(run.series["train/loss"].values[0]), format_number(digest.last or 0)
    phrase = re.search(r"train/loss (\S+)→(\S+) \(([^)]*)\)", summary.headline)
    assert phrase is not None, summary.headline
    first, last, notes = phrase.groups()
    assert first == raw_first  # the first value is the logged one
    assert last != raw_last and last.startswith("~") and notes.startswith("smoothed")


def test_an_unsmoothed_end_is_the_tables_last_value() -> None:
    values = np.linspace(2.0, 0.5, 10)  # too short to smooth: the figure is the logged last point
    run = _run(train__loss=values)
    headline = analyze(run).headline
    assert f"→{format_number(values[-1])}" in headline and "~" not in headline and "smoothed" not in headline


def test_divergence_calls_a_median_best_smoothed() -> None:
    rng = np.random.default_rng(1)
    falling = 2.0 * np.exp(-np.arange(600) / 100) + 0.4 + rng.normal(0, 0.15, 600)
    values = np.concatenate([falling, np.linspace(0.5, 30, 200), [np.nan] * 50])
    found = [a for a in detect_anomalies(_run(train__loss=values)) if a.kind == "divergence"]
    assert found, "the blow-up is a divergence"
    quoted = float(re.search(r"from its smoothed best (\S+) ", found[0].message).group(1))  # type: ignore[union-attr]
    assert quoted > float(np.nanmin(values))  # not the raw best, and said so


def test_overfitting_and_headline_quote_the_same_final_training_loss() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(3000)
    train = 2.0 * np.exp(-t / 300) + 0.005 + np.abs(rng.normal(0, 0.002, t.size))
    vsteps = np.arange(0, 3000, 50)
    val = 0.5 + 0.3 * np.exp(-vsteps / 100) + 0.0001 * np.maximum(vsteps - 300, 0) + rng.normal(0, 0.003, vsteps.size)
    run = Run(
        RunInfo("r", "r", "memory", last_step=2999),
        series={
            "train/loss": MetricSeries("train/loss", t, train),
            "val/loss": MetricSeries("val/loss", vsteps, val),
        },
    )
    analysis = analyze(run)
    overfit = next(a for a in analysis.anomalies if a.kind == "overfitting")
    in_message = re.search(r"kept falling \(smoothed \S+→(\S+)\)", overfit.message)
    in_headline = re.search(r"train/loss \S+→~(\S+) \(smoothed", analysis.headline)
    assert in_message and in_headline, (overfit.message, analysis.headline)
    assert in_message.group(1) == in_headline.group(1)
