"""Detection on the real-framework corpus (issue 14, Done-when point 2): runs written by transformers' Trainer,
Lightning's CSVLogger, Keras 3's CSVLogger and a nanoGPT-style script, read by Runwise's own sources.

Every planted problem is found with its kind, metric and onset (computed from the logged numbers, see
tests/frameworks/corpus.py); healthy-but-noisy runs give no warning. The property tests check that what is found
does not depend on the units of the losses or on where the step count starts.
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwise.domain.analysis import detect_anomalies
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import MetricSeries, Run
from tests.frameworks.corpus import CORPUS, HEALTHY, PROBLEMS, Planted, finds, load, serious


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    return {name: load(entry) for name, entry in CORPUS.items()}


def _planted_shape_holds(planted: Planted, run: Run) -> bool:
    """The writer really caused the problem (so a test cannot pass on a run where nothing was planted)."""
    series = run.series[planted.onset_key or planted.metric]
    finite = series.values[np.isfinite(series.values)]
    if planted.kind == "nan_inf":
        return not np.isfinite(series.values[-1])
    if planted.kind == "divergence":
        return bool(finite[-1] >= 1.5 * finite.min())
    if planted.kind == "overfitting":
        return bool(np.median(finite[-3:]) >= 1.2 * finite.min() and finite.argmin() > 0)
    return bool(finite.min() >= 0.97 * finite[0])  # plateau: validation never got better than its first value


@pytest.mark.parametrize("name", PROBLEMS)
def test_planted_problem_found_with_its_kind_metric_and_onset(runs: dict[str, Run], name: str) -> None:
    planted = CORPUS[name].planted
    assert planted is not None
    run = runs[name]
    assert _planted_shape_holds(planted, run), name
    found = detect_anomalies(run)
    assert finds(found, planted, run), (planted, planted.window(run), [a.message for a in found])


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_but_noisy_run_gives_no_warning(runs: dict[str, Run], name: str) -> None:
    found = detect_anomalies(runs[name])
    if name.startswith("text:"):
        # the nanoGPT-style times (and mfu) are wall-clock times of each step on the shared test machine: when
        # other jobs take the cores, the slowdown is real and rightly reported, but it says nothing of training
        found = tuple(a for a in found if a.kind != "throughput_drop")
    assert serious(found) == [], [a.message for a in found]


def test_the_corpus_holds_several_problems_and_healthy_runs_per_framework() -> None:
    for framework in ("hf", "lightning", "keras", "text"):
        entries = [e for e in CORPUS.values() if e.framework == framework]
        assert sum(e.planted is None for e in entries) >= 2, framework
        assert sum(e.planted is not None for e in entries) >= 3, framework
    kinds = {e.planted.kind for e in CORPUS.values() if e.planted is not None}
    assert kinds == {"divergence", "nan_inf", "overfitting", "plateau"}


def test_a_rerun_appended_to_a_keras_log_is_two_sessions_not_a_divergence(runs: dict[str, Run]) -> None:
    run = runs["keras:keras-rerun-appended"]
    assert run.series["epoch"].values.tolist() == [0, 1, 2, 3, 4, 5] * 2  # the counter restarted
    assert run.series["loss"].values[6] > 5 * run.series["loss"].values[5]  # the second session started afresh
    assert not [a for a in detect_anomalies(run) if a.kind in ("divergence", "loss_spike")]


def test_a_real_run_diverging_from_its_first_steps_is_critical(runs: dict[str, Run]) -> None:
    """nanoGPT-style logs with an lr far too high: the loss leaves its first value within a step or two."""
    for name in ("text:char-lr-too-high", "text:shakespeare-char-lr-too-high", "hf:gpt2-tiny-lr-too-high"):
        (a,) = [a for a in detect_anomalies(runs[name]) if a.kind == "divergence"]
        assert a.severity == "critical" and a.start_step <= 2, a.message


def test_gradients_growing_while_the_loss_falls_are_not_a_warning(runs: dict[str, Run]) -> None:
    found = [a for a in detect_anomalies(runs["hf:hf-bert-healthy"]) if a.kind == "gradient_explosion"]
    assert all(a.severity == "info" and "kept falling" in a.message for a in found)


def _key(a: Anomaly) -> tuple[str, str, str, int]:
    return (a.kind, a.metric, a.severity, a.start_step)


def _scaled(run: Run, factor: float) -> Run:
    series = {k: MetricSeries(k, s.steps, s.values * factor) if "loss" in k else s for k, s in run.series.items()}
    return attrs.evolve(run, series=series)


def _shifted(run: Run, offset: int) -> Run:
    return attrs.evolve(run, series={k: MetricSeries(k, s.steps + offset, s.values) for k, s in run.series.items()})


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(name=st.sampled_from(sorted(CORPUS)), exponent=st.floats(-3, 3))
def test_findings_do_not_depend_on_the_units_of_the_losses(runs: dict[str, Run], name: str, exponent: float) -> None:
    run = runs[name]
    before = sorted(_key(a) for a in serious(detect_anomalies(run)))
    after = sorted(_key(a) for a in serious(detect_anomalies(_scaled(run, 10.0**exponent))))
    assert after == before


@_SETTINGS
@given(name=st.sampled_from(sorted(CORPUS)), offset=st.integers(1, 10**6))
def test_findings_move_with_the_step_count(runs: dict[str, Run], name: str, offset: int) -> None:
    run = runs[name]
    before = sorted((k, m, s, step + offset) for k, m, s, step in map(_key, serious(detect_anomalies(run))))
    after = sorted(_key(a) for a in serious(detect_anomalies(_shifted(run, offset))))
    assert after == before
