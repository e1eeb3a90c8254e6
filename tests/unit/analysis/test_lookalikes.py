"""Generality: runs shaped like LLM pretraining, fine-tuning, Keras, PPO, GANs and diffusion training.

Healthy ones must stay silent whatever their scale, length, noise or key names; the same runs with a real problem
planted must report it.
"""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from runwise.domain.analysis import analyze, detect_anomalies
from runwise.domain.model import MetricSeries, Run
from tests.unit.analysis.lookalikes import ALL, fine_tune, keras_epochs, llm_pretraining, ppo


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(ALL))
def test_healthy_lookalike_is_silent(name: str, seed: int) -> None:
    found = detect_anomalies(ALL[name](seed))
    assert [a.message for a in found if a.severity != "info"] == []
    assert len(found) <= 1


def _with(run: Run, key: str, values: np.ndarray) -> Run:
    s = run.series[key]
    return attrs.evolve(run, series={**run.series, key: MetricSeries(key, s.steps, values)})


def test_llm_loss_spike_is_found() -> None:
    run = llm_pretraining()
    loss = run.series["train/loss"].values.copy()
    loss[12_000:12_040] *= 1.6
    spikes = [a for a in detect_anomalies(_with(run, "train/loss", loss)) if a.kind == "loss_spike"]
    assert spikes and spikes[0].metric == "train/loss" and spikes[0].start_step == 60_000
    assert spikes[0].severity == "warning"


def test_llm_throughput_drop_is_found() -> None:
    run = llm_pretraining()
    tps = run.series["perf/tokens_per_sec"].values.copy()
    tps[15_000:] *= 0.55
    (drop,) = [a for a in detect_anomalies(_with(run, "perf/tokens_per_sec", tps)) if a.kind == "throughput_drop"]
    assert drop.severity == "warning" and abs(drop.start_step - 75_000) <= 0.02 * 100_000


def test_llm_divergence_to_nan_is_found_with_its_lr_context() -> None:
    run = llm_pretraining()
    loss = run.series["train/loss"].values.copy()
    loss[16_000:16_600] = loss[16_000] * np.exp(np.linspace(0, 4, 600))
    loss[16_600:] = np.nan
    result = analyze(_with(run, "train/loss", loss))
    assert result.health.status == "critical"
    assert result.health.finding.startswith("NaN in train/loss from step 83,000")
    div = next(a for a in result.anomalies if a.kind == "divergence")
    assert abs(div.start_step - 80_000) <= 2_000


def test_keras_overfitting_in_twenty_epochs_is_found() -> None:
    run = keras_epochs()
    e = np.arange(20)
    val = 0.32 + 1.5 * np.exp(-e / 3) + 0.02 * np.maximum(0, e - 8) ** 1.3
    over = [a for a in detect_anomalies(_with(run, "val_loss", val)) if a.kind == "overfitting"]
    assert over and over[0].start_step == int(np.argmin(val)) and over[0].severity == "warning"


def test_fine_tune_eval_loss_rising_is_overfitting() -> None:
    run = fine_tune()
    steps = np.arange(25, 301, 25)  # 12 evaluations
    val = 0.5 + 0.9 * np.exp(-steps / 60)
    val[6:] = val[5] * np.linspace(1.05, 1.35, 6)
    evals = MetricSeries("eval_loss", steps, val)
    found = [
        a
        for a in detect_anomalies(attrs.evolve(run, series={**run.series, "eval_loss": evals}))
        if a.kind == "overfitting"
    ]
    assert found and found[0].start_step == 150 and found[0].severity == "warning"


def test_ppo_nan_in_value_loss_is_reported() -> None:
    run = ppo()
    v = run.series["losses/value_loss"].values.copy()
    v[1500:] = np.nan
    found = detect_anomalies(_with(run, "losses/value_loss", v))
    assert [(a.kind, a.metric, a.severity) for a in found] == [("nan_inf", "losses/value_loss", "critical")]
