"""Detection on short, noisy, epoch-level runs (issue 14), on the short-run corpus: runs really trained, written in
the key names of Keras, Lightning, Hugging Face and Ultralytics, read back by the JSONL source.

Each case is shaped like one the issue lists: validation up 52% from its best on 5-6 evaluations; validation that
never responds while training falls 50×; a 25× validation burst that recovers; validation swinging 2-3× epoch to
epoch on 10 epochs; and, on healthy runs, per-batch noise and sessions appended to one file.
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwise.domain.analysis import detect_anomalies
from runwise.domain.analysis.sessions import session_starts
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import MetricSeries, Run, RunInfo
from tests.unit.analysis.short.corpus import ShortCase, matches, no_truths, plans

PROBLEMS = sorted(name for name, plan in plans().items() if plan.truths is not no_truths)
HEALTHY = sorted(set(plans()) - set(PROBLEMS))


def serious(found: tuple[Anomaly, ...]) -> list[Anomaly]:
    return [a for a in found if a.severity != "info"]


@pytest.mark.parametrize("name", PROBLEMS)
def test_planted_problem_found_with_its_kind_metric_and_onset(short_runs: dict[str, ShortCase], name: str) -> None:
    case = short_runs[name]
    assert case.truths, name
    found = detect_anomalies(case.run)
    for truth in case.truths:
        assert any(matches(a, truth, case) for a in serious(found)), (truth, [a.message for a in found])


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_but_noisy_run_gives_no_warning(short_runs: dict[str, ShortCase], name: str) -> None:
    found = detect_anomalies(short_runs[name].run)
    assert serious(found) == [], [a.message for a in found]
    assert sum(a.severity == "info" for a in found) <= 2, [a.message for a in found]


def test_findings_on_few_points_say_so(short_runs: dict[str, ShortCase]) -> None:
    (over,) = [a for a in detect_anomalies(short_runs["overfit-6-evals"].run) if a.kind == "overfitting"]
    assert "judged on 6 validation points" in over.message and over.severity == "warning"
    assert "+41%" in over.message or "+4" in over.message  # a large rise: the evidence few points need


def test_validation_that_never_responds_is_one_finding_not_overfitting(short_runs: dict[str, ShortCase]) -> None:
    found = detect_anomalies(short_runs["val-never-improves"].run)
    (never,) = [a for a in found if a.kind == "plateau" and a.severity == "warning"]
    assert "never improved" in never.message and "train_loss_epoch fell" in never.message
    assert not [a for a in found if a.kind == "overfitting"]


def test_a_burst_that_recovers_is_a_spike_not_swings(short_runs: dict[str, ShortCase]) -> None:
    found = detect_anomalies(short_runs["val-burst-25x"].run)
    (burst,) = [a for a in found if a.kind == "loss_spike" and a.metric == "eval_loss"]
    assert "25×" in burst.message and "back near its level" in burst.message
    assert not [a for a in found if a.kind in ("instability", "divergence")]


def test_appended_sessions_are_judged_apart_not_as_a_divergence(short_runs: dict[str, ShortCase]) -> None:
    run = short_runs["keras-appended-sessions"].run
    assert len(session_starts(run)) == 2  # the epoch counter went back twice: three sessions in one file
    found = detect_anomalies(run)
    assert not [a for a in found if a.kind in ("divergence", "loss_spike")], [a.message for a in found]


def test_constant_metrics_are_noted_once(short_runs: dict[str, ShortCase]) -> None:
    found = detect_anomalies(short_runs["yolo-cosine"].run)
    notes = [a for a in found if "throughout" in a.message]
    assert len(notes) == 1 and notes[0].severity == "info" and "are 0 throughout: not judged" in notes[0].message


def test_per_batch_noise_is_not_a_warning(short_runs: dict[str, ShortCase]) -> None:
    for name in ("lightning-batches-2", "lightning-batches-3"):
        run = short_runs[name].run
        assert len(run.series["train_loss_step"]) > 1000  # per batch
        assert not [a for a in serious(detect_anomalies(run)) if a.kind == "loss_spike"]


# ---- properties --------------------------------------------------------------------------------------------------


def _transformed(run: Run, scale: float, shift: int) -> Run:
    def move(s: MetricSeries) -> MetricSeries:
        factor = scale if s.key not in ("epoch", "step") else 1.0
        return MetricSeries(s.key, s.steps + shift, s.values * factor)

    return attrs.evolve(run, series={k: move(s) for k, s in run.series.items()})


def _signature(found: tuple[Anomaly, ...], shift: int = 0) -> list[tuple[str, str, str, int]]:
    return sorted((a.kind, a.metric, a.severity, a.start_step - shift) for a in found)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(plans())),
    scale=st.floats(1e-3, 1e3),
    shift=st.integers(0, 10**6),
)
def test_findings_do_not_depend_on_units_or_step_offsets(
    short_runs: dict[str, ShortCase], name: str, scale: float, shift: int
) -> None:
    run = short_runs[name].run
    lr_free = attrs.evolve(run, series={k: s for k, s in run.series.items() if "lr" not in k and "learning" not in k})
    assert _signature(detect_anomalies(_transformed(lr_free, scale, shift)), shift) == _signature(
        detect_anomalies(lr_free)
    )


def _run(cols: dict[str, np.ndarray]) -> Run:
    series = {k: MetricSeries(k, np.arange(v.size), v) for k, v in cols.items()}
    return Run(RunInfo(id="p", name="p", source="memory"), series=series)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(4, 40),
    rate=st.floats(0.05, 0.5),
    floor=st.floats(0.0, 1.0),
    seed=st.integers(0, 10**6),
)
def test_falling_short_curves_with_mild_noise_give_no_warning(n: int, rate: float, floor: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    loss = (floor + 0.08 + 2.0 * np.exp(-rate * t)) * (
        1 + 0.03 * rng.standard_normal(n)
    )  # training and validation converge together
    val = (floor + 0.1 + 2.0 * np.exp(-rate * t)) * (1 + 0.05 * rng.standard_normal(n))
    found = detect_anomalies(_run({"loss": loss, "val_loss": val}))
    assert serious(found) == [], [a.message for a in found]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(6, 40),
    at=st.integers(2, 38),
    factor=st.floats(8.0, 100.0),  # the warning bar is 5× the levels on both sides; noise and curvature need room
    seed=st.integers(0, 10**6),
)
def test_a_recovering_validation_burst_is_found_at_its_step(n: int, at: int, factor: float, seed: int) -> None:
    at = min(at, n - 3)
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    loss = (0.1 + 2.0 * np.exp(-0.3 * t)) * (1 + 0.02 * rng.standard_normal(n))
    val = (0.2 + 2.0 * np.exp(-0.3 * t)) * (1 + 0.05 * rng.standard_normal(n))
    val[at] *= factor
    found = detect_anomalies(_run({"loss": loss, "val_loss": val}))
    bursts = [a for a in serious(found) if a.kind == "loss_spike" and a.metric == "val_loss"]
    assert [a.start_step for a in bursts] == [at], [a.message for a in found]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(HEALTHY), copies=st.integers(2, 4))
def test_a_session_appended_again_adds_no_finding(short_runs: dict[str, ShortCase], name: str, copies: int) -> None:
    """Logging the same epoch-level session several times into one file (the epoch counter restarts each time,
    steps are record numbers) says nothing the single session did not."""
    run = short_runs[name].run
    if "epoch" not in run.series or len(run.series["epoch"]) != max(len(s) for s in run.series.values()):
        return  # per-batch logs: appending them is not what Keras-style CSV sessions look like
    n = len(run.series["epoch"])
    cols = {k: np.tile(s.values, copies) for k, s in run.series.items() if len(s) == n}
    appended = detect_anomalies(_run(cols))
    single = detect_anomalies(_run({k: s.values for k, s in run.series.items() if len(s) == n}))
    assert serious(appended) == [] and serious(single) == []
