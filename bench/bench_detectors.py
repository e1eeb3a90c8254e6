"""Benchmark the analysis engine: every detector on 1M points × 10 metrics (≤1 s), stability on 1M points (≤0.2 s).

Usage: python bench/bench_detectors.py [--points N] [--repeat R]

The run is a realistic 10-metric log at full resolution: a falling loss with a spike and a late NaN, sparse-free
validation, accuracies, a warmup+cosine lr, grad norms, throughput, a perplexity, an auxiliary loss and a metric of
unknown role. Each figure is the best and the median of R repeats (the machine may be shared).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from runwise.domain.analysis import analyze, detect_anomalies, stability
from runwise.domain.model import MetricSeries, Run, RunInfo


def make_run(n: int, seed: int = 0) -> Run:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    steps = np.arange(n, dtype=np.int64)
    loss = (0.4 + 4.0 * np.exp(-t / (n / 5))) * (1 + 0.03 * rng.normal(0, 1, n))
    loss[int(n * 0.6)] *= 8
    loss[int(n * 0.95) :] = np.nan
    warm = n // 50
    lr = 3e-4 * np.minimum(1, (t + 1) / warm) * 0.5 * (1 + np.cos(np.pi * t / n))
    cols = {
        "train/loss": loss,
        "val/loss": loss * 1.05 + 0.01 * rng.normal(0, 1, n),
        "train/acc": 1 - loss / 5,
        "val/acc": 1 - loss / 4.8,
        "lr": lr,
        "grad_norm": np.abs(rng.normal(1.0, 0.1, n)),
        "samples_per_sec": 1000 + rng.normal(0, 10, n),
        "train/ppl": np.exp(np.minimum(loss, 20)),
        "train/aux_loss": 0.1 + 0.01 * rng.normal(0, 1, n),
        "custom/thing": rng.normal(0, 1, n),
    }
    series = {k: MetricSeries(k, steps, v) for k, v in cols.items()}
    return Run(RunInfo(id="bench", name="bench", source="memory", last_step=n - 1), series=series)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.points
    run = make_run(n)
    found = detect_anomalies(run)  # warm-up, and a check that the planted problems are found
    kinds = sorted({a.kind for a in found})
    print(f"{n:,} points × {len(run.series)} metrics; found: {', '.join(kinds)}")
    rows = [
        ("detect_anomalies (all detectors)", lambda: detect_anomalies(run), 1.0),
        ("analyze (detectors + health, headline, advice)", lambda: analyze(run), 1.0),
        ("stability, 1 metric, window 1000", lambda: stability(run.series["train/loss"], 1000), 0.2),
        ("stability, 1 metric, default window", lambda: stability(run.series["train/loss"]), 0.2),
    ]
    for label, fn, budget in rows:
        best, median = timed(fn, args.repeat)
        verdict = "ok" if best <= budget * n / 1_000_000 else "SLOW"
        figures = f"best {best * 1000:7.1f} ms   median {median * 1000:7.1f} ms   budget {budget * 1000:.0f} ms"
        print(f"{label:<50} {figures}  {verdict}")


if __name__ == "__main__":
    main()
