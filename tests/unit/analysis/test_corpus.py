"""The detectors on runs of really trained models: every problem found at its true step, healthy runs silent."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from runwise.domain.analysis import detect_anomalies
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import MetricSeries, Run
from tests.unit.analysis.corpus import Case, _healthy_configs

HEALTHY = [c.name for c in _healthy_configs()] + ["keras-names"]
PROBLEMS = [
    ("lr-too-high", "nan_inf", "critical"),
    ("lr-too-high", "divergence", "critical"),
    ("overfit", "overfitting", "warning"),
    ("lr-too-low", "plateau", "warning"),
    ("bad-batches", "loss_spike", "warning"),
    ("lr-jump", "gradient_explosion", "critical"),
]


def serious(anomalies: tuple[Anomaly, ...]) -> list[Anomaly]:
    return [a for a in anomalies if a.severity != "info"]


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_run_has_no_warning_or_critical(healthy: dict[str, Case], name: str) -> None:
    found = detect_anomalies(healthy[name].run)
    assert serious(found) == [], [a.message for a in found]
    assert sum(a.severity == "info" for a in found) <= 2, [a.message for a in found]


@pytest.mark.parametrize(("name", "kind", "severity"), PROBLEMS)
def test_problem_found_with_its_kind_at_the_true_step(
    problems: dict[str, Case], name: str, kind: str, severity: str
) -> None:
    case = problems[name]
    found = [a for a in detect_anomalies(case.run) if a.kind == kind and a.severity == severity]
    tolerance = 0.02 * case.length
    for true_step in case.truth[kind]:
        near = [a for a in found if abs(a.start_step - true_step) <= tolerance]
        assert near, (
            f"no {severity} {kind} within {tolerance:.0f} steps of {true_step}: {[a.start_step for a in found]}"
        )


def test_divergence_to_nan_is_blamed_on_the_lr_warmup(problems: dict[str, Case]) -> None:
    case = problems["lr-too-high"]
    found = detect_anomalies(case.run)
    lr = [a for a in found if a.kind == "lr_issue"]
    assert len(lr) == 1 and lr[0].severity == "critical" and "warming up" in lr[0].message
    nan = next(a for a in found if a.kind == "nan_inf" and a.metric == "train/loss")
    assert nan.start_step == case.truth["nan_inf"][0]  # exact: the first NaN
    assert all(a.severity == "critical" for a in found if a.kind == "nan_inf")


def test_stall_is_called_stalled_early_and_points_at_the_lr(problems: dict[str, Case]) -> None:
    found = detect_anomalies(problems["lr-too-low"].run)
    plateau = next(a for a in found if a.kind == "plateau")
    assert "stalled early" in plateau.message and plateau.metric == "train/loss"
    assert any(a.kind == "lr_issue" and "too low" in a.message for a in found)


def test_overfitting_reports_the_best_step_and_the_gap(problems: dict[str, Case]) -> None:
    case = problems["overfit"]
    (over,) = [a for a in detect_anomalies(case.run) if a.kind == "overfitting"]
    assert over.metric == "val/loss" and over.start_step == case.truth["overfitting"][0]
    assert "train/loss kept falling" in over.message and "gap" in over.message


def test_each_bad_batch_is_its_own_episode(problems: dict[str, Case]) -> None:
    spikes = [
        a for a in detect_anomalies(problems["bad-batches"].run) if a.kind == "loss_spike" and a.metric == "train/loss"
    ]
    assert [a.start_step for a in spikes] == problems["bad-batches"].truth["loss_spike"]
    assert all("back near its level" in a.message for a in spikes)


def test_lr_jump_is_named_as_the_cause(problems: dict[str, Case]) -> None:
    found = detect_anomalies(problems["lr-jump"].run)
    assert any(a.kind == "lr_issue" and "jumped up at step 600" in a.message for a in found)


def _rename(run: Run, names: dict[str, str]) -> Run:
    series = {names.get(k, k): MetricSeries(names.get(k, k), s.steps, s.values) for k, s in run.series.items()}
    return attrs.evolve(run, series=series)


@pytest.mark.parametrize(
    "names",
    [
        {"train/loss": "loss", "val/loss": "val_loss", "lr": "learning_rate", "grad_norm": "total_norm"},
        {"train/loss": "Loss/train", "val/loss": "Loss/val", "lr": "lr-AdamW", "grad_norm": "gradient_norm"},
        {"train/loss": "train_loss_step", "val/loss": "eval/loss", "lr": "train/learning_rate", "grad_norm": "gnorm"},
    ],
)
@pytest.mark.parametrize("name", ["lr-too-high", "overfit", "lr-jump", "bad-batches"])
def test_key_names_do_not_matter(problems: dict[str, Case], name: str, names: dict[str, str]) -> None:
    original = detect_anomalies(problems[name].run)
    renamed = detect_anomalies(_rename(problems[name].run, names))
    assert sorted((a.kind, names.get(a.metric, a.metric), a.start_step, a.severity) for a in original) == sorted(
        (a.kind, a.metric, a.start_step, a.severity) for a in renamed
    )


def _transform(run: Run, scale: float, shift: int) -> Run:
    series = {k: MetricSeries(k, s.steps + shift, s.values * scale) for k, s in run.series.items()}
    return attrs.evolve(run, series=series)


@pytest.mark.parametrize(("scale", "shift"), [(50.0, 0), (1e-3, 0), (1.0, 12_345), (7.5, -400)])
@pytest.mark.parametrize("name", ["lr-too-high", "overfit", "lr-too-low", "bad-batches", "lr-jump"])
def test_trained_runs_are_invariant_to_scale_and_step_shift(
    problems: dict[str, Case], name: str, scale: float, shift: int
) -> None:
    original = detect_anomalies(problems[name].run)
    moved = detect_anomalies(_transform(problems[name].run, scale, shift))
    assert [
        (a.kind, a.metric, a.severity, a.start_step + shift, a.peak_step + shift, a.end_step + shift) for a in original
    ] == [(a.kind, a.metric, a.severity, a.start_step, a.peak_step, a.end_step) for a in moved]


def test_epoch_level_log_of_a_healthy_run_is_silent(healthy: dict[str, Case]) -> None:
    """Keras-style: one point per epoch (the mean of its batches), 20 points."""
    trace = healthy["warmup-cosine-0"].trace
    loss = np.asarray(trace.loss).reshape(20, -1).mean(axis=1)
    acc = np.asarray(trace.acc).reshape(20, -1).mean(axis=1)
    epochs = np.arange(20)
    val = np.interp(np.linspace(0, len(trace.val_loss) - 1, 20), np.arange(len(trace.val_loss)), trace.val_loss)
    run = Run(
        healthy["warmup-cosine-0"].run.info,
        series={
            "loss": MetricSeries("loss", epochs, loss),
            "accuracy": MetricSeries("accuracy", epochs, acc),
            "val_loss": MetricSeries("val_loss", epochs, val),
        },
    )
    assert serious(detect_anomalies(run)) == []
