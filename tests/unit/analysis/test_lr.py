"""Learning-rate analysis: schedule shapes, peak and final values, loss response around changes."""

from __future__ import annotations

import numpy as np
import pytest

from runwise.domain.analysis import lr_analysis
from runwise.domain.model import MetricSeries

N = 2000
T = np.arange(N, dtype=float)


def warm(n: int) -> np.ndarray:
    return np.minimum(1.0, (T + 1) / n)


SCHEDULES = {
    "constant": np.full(N, 3e-4),
    "warmup": 3e-4 * warm(100),
    "cosine": 1e-3 * 0.5 * (1 + np.cos(np.pi * T / N)),
    "linear": 1e-3 * (1 - T / N),
    "exponential": 1e-2 * 0.998**T,
    "step": 0.1 * 0.1 ** (T // 700),
    "warmup+cosine": 3e-4 * warm(100) * np.where(T < 100, 1, 0.5 * (1 + np.cos(np.pi * (T - 100) / (N - 100)))),
    "warmup+linear": 5e-5 * warm(200) * np.where(T < 200, 1, 1 - (T - 200) / (N - 200)),
    "warmup+constant+linear": 3e-4 * warm(100) * np.where(T < 1600, 1, 1 - (T - 1600) / 400),
    "warmup+step": 0.1 * warm(50) * 0.1 ** (T // 800),
    "cyclic": 1e-4 + 9e-4 * np.abs(((T / 250) % 2) - 1),
}


@pytest.mark.parametrize(("shape", "values"), SCHEDULES.items())
def test_schedule_shape(shape: str, values: np.ndarray) -> None:
    assert lr_analysis(MetricSeries("lr", T.astype(int), values)).shape == shape


@pytest.mark.parametrize(("shape", "values"), SCHEDULES.items())
def test_shape_does_not_depend_on_logging_density_or_scale(shape: str, values: np.ndarray) -> None:
    every = 20
    assert lr_analysis(MetricSeries("lr", 5000 + T[::every].astype(int), 7 * values[::every])).shape == shape


def test_peak_and_final() -> None:
    lr = lr_analysis(MetricSeries("lr", T.astype(int), SCHEDULES["warmup+cosine"]))
    assert lr.peak == pytest.approx(3e-4) and lr.peak_step == 99 and lr.warmup_end_step == 99
    assert lr.final_step == N - 1 and lr.final < 1e-8
    assert lr.has_warmup and "warmup+cosine: peak 3e-04 at step 99" in lr.describe()


def test_loss_response_to_step_drops() -> None:
    lr = SCHEDULES["step"]
    loss = 1.0 / (1 + T / 500) - 0.2 * (T >= 700) - 0.1 * (T >= 1400) + 0.5
    result = lr_analysis(MetricSeries("lr", T.astype(int), lr), MetricSeries("loss", T.astype(int), loss))
    drops = [c for c in result.changes if c.kind == "drop"]
    assert [c.step for c in drops] == [700, 1400]
    assert all((c.loss_change or 0) < -0.1 for c in drops)
    assert result.response.startswith("loss fell") and "after the lr drop" in result.response


def test_empty_and_tiny() -> None:
    assert lr_analysis(MetricSeries("lr", [], [])).shape == "unknown"
    assert lr_analysis(MetricSeries("lr", [0, 1], [1e-3, 1e-3])).shape == "unknown"
    assert lr_analysis(MetricSeries("lr", [0, 1, 2], [np.nan, np.nan, np.nan])).peak_step is None
