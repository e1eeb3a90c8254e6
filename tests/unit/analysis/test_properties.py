"""Properties of the detectors (hypothesis): invariance to positive scaling and step shifts, no spike in a constant
series, a NaN anywhere always reported.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwise.domain.analysis import analyze, detect_anomalies
from runwise.domain.analysis.detectors import detect_loss_spikes, detect_nan_inf
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.roles import Role

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = ["train/loss", "val/loss", "lr", "grad_norm", "samples_per_sec", "val/acc", "loss_aux", "foo/bar", "epoch"]


@st.composite
def runs(draw: st.DrawFn) -> Run:
    """A training-like run: a falling noisy loss with optional spike, rise or NaN, sparse validation, lr, grads."""
    n = draw(st.integers(0, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    start_step = draw(st.integers(0, 10_000))
    stride = draw(st.sampled_from([1, 5, 100]))
    steps = start_step + np.arange(n) * stride
    level = draw(st.floats(0.01, 10)) + draw(st.floats(0, 10)) * np.exp(-t / max(1.0, n / draw(st.floats(0.5, 10))))
    loss = level * (1 + draw(st.floats(0, 0.5)) * rng.normal(0, 1, n))
    if n and draw(st.booleans()):
        loss[rng.integers(0, n)] *= draw(st.floats(1, 100))
    if n > 10 and draw(st.booleans()):
        k = int(rng.integers(n // 2, n))
        loss[k:] *= np.exp(np.arange(n - k) * draw(st.floats(0, 0.5)))
    lr = (
        draw(st.floats(1e-6, 1))
        * np.minimum(1, (t + 1) / max(1, n // 10))
        * (0.5 + 0.5 * np.cos(np.pi * t / max(n, 1)))
    )
    grads = np.exp(rng.normal(0, draw(st.floats(0, 2)), n)) * draw(st.floats(1e-3, 1e3))
    tput = 1000 * (1 + 0.05 * rng.normal(0, 1, n))
    if n and draw(st.booleans()):
        tput[int(rng.integers(0, n)) :] *= draw(st.floats(0.1, 1))
    every = draw(st.integers(1, 50))
    series = {
        "train/loss": MetricSeries("train/loss", steps, loss),
        "val/loss": MetricSeries("val/loss", steps[::every], loss[::every] * 1.1),
        "lr": MetricSeries("lr", steps, lr),
        "grad_norm": MetricSeries("grad_norm", steps, grads),
        "samples_per_sec": MetricSeries("samples_per_sec", steps, tput),
        "foo/bar": MetricSeries("foo/bar", steps, rng.normal(0, 1, n)),
    }
    return Run(RunInfo(id="r", name="r", source="memory"), series=series)


def facts(anomalies: tuple[Anomaly, ...], shift: int = 0) -> list[tuple[str, str, str, int, int, int]]:
    return [
        (a.kind, a.metric, a.severity, a.start_step + shift, a.peak_step + shift, a.end_step + shift) for a in anomalies
    ]


def scaled(run: Run, factor: float) -> Run:
    with np.errstate(over="ignore"):
        return Run(run.info, series={k: MetricSeries(k, s.steps, s.values * factor) for k, s in run.series.items()})


def shifted(run: Run, by: int) -> Run:
    return Run(run.info, series={k: MetricSeries(k, s.steps + by, s.values) for k, s in run.series.items()})


@SETTINGS
@given(runs(), st.integers(-30, 30))
def test_invariant_to_positive_scaling(run: Run, power: int) -> None:
    """Scaling by a power of two is exact in floating point, so results must be identical, not just close."""
    factor = 2.0**power
    assert facts(detect_anomalies(scaled(run, factor))) == facts(detect_anomalies(run))


@SETTINGS
@given(runs(), st.integers(-(10**9), 10**12))
def test_invariant_to_shifting_steps(run: Run, by: int) -> None:
    assert facts(detect_anomalies(shifted(run, by))) == facts(detect_anomalies(run), by)


@SETTINGS
@given(runs(), st.sampled_from([1e-3, 0.37, 3.0, 1234.5]))
def test_health_status_invariant_to_any_positive_scale(run: Run, factor: float) -> None:
    """Any factor (rounding may move a borderline step) keeps the health status and the set of problem kinds."""
    a, b = analyze(run), analyze(scaled(run, factor))
    assert a.health.status == b.health.status


@SETTINGS
@given(
    st.integers(1, 2000),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["train/loss", "loss", "val_loss", "loss_cls", "grad_norm", "reward"]),
    st.integers(0, 10**6),
)
def test_constant_series_gives_no_spike(n: int, value: float, key: str, start: int) -> None:
    series = MetricSeries(key, start + np.arange(n), np.full(n, value))
    assert detect_loss_spikes(series) == []
    run = Run(RunInfo(id="c", name="c", source="memory"), series={key: series})
    assert [a for a in detect_anomalies(run) if a.kind in ("loss_spike", "divergence", "gradient_explosion")] == []


@SETTINGS
@given(
    st.integers(1, 500),
    st.data(),
    st.sampled_from([*KEYS, "weird key", "x"]),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
def test_nan_anywhere_is_always_reported(n: int, data: st.DataObject, key: str, bad: float) -> None:
    rng = np.random.default_rng(n)
    values = rng.normal(1, 0.1, n)
    where = data.draw(st.integers(0, n - 1))
    more = data.draw(st.lists(st.integers(where, n - 1), max_size=5))
    values[[where, *more]] = bad
    steps = 7 + 3 * np.arange(n)
    series = MetricSeries(key, steps, values)
    run = Run(RunInfo(id="n", name="n", source="memory"), series={key: series})
    found = [a for a in detect_anomalies(run) if a.kind == "nan_inf"]
    assert len(found) == 1 and found[0].metric == key and found[0].start_step == steps[where]
    assert detect_nan_inf(series, Role.OTHER)[0].start_step == steps[where]
