"""Small builders for runs held in memory (unit tests of services and entry points)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from runwise.domain.model import MetricSeries, Run, RunInfo


def make_run(
    run_id: str,
    *,
    name: str | None = None,
    state: str = "finished",
    updated_at: float = 0.0,
    config: dict[str, Any] | None = None,
    **series: Sequence[float] | tuple[Sequence[int], Sequence[float]],
) -> Run:
    """`make_run("r1", loss=[1.0, 0.5], val__loss=([0, 10], [2.0, 1.0]))`; `__` in a name becomes `/`."""
    built = {}
    for raw_key, data in series.items():
        key = raw_key.replace("__", "/")
        if isinstance(data, tuple):
            steps, values = data
        else:
            values = data
            steps = range(len(values))
        built[key] = MetricSeries(key, np.asarray(steps), np.asarray(values, dtype=float))
    last = max((s.last_step for s in built.values() if s.last_step is not None), default=None)
    info = RunInfo(
        id=run_id,
        name=name or run_id,
        source="memory",
        state=state,
        last_step=last,
        updated_at=updated_at,  # type: ignore[arg-type]
    )
    return Run(info=info, config=config or {}, series=built)


def wide_run(run_id: str = "wide", metrics: int = 50, steps: int = 2000, seed: int = 0) -> Run:
    """A run with many metrics, like a real LLM or RL run logs."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    series: dict[str, Any] = {
        "train__loss": 3 * np.exp(-t / 500) + 0.5 + rng.normal(0, 0.02, steps),
        "val__loss": (t[::100], 3 * np.exp(-t[::100] / 500) + 0.6),
        "train__lr": 3e-4 * np.minimum(1, (t + 1) / 100),
        "train__grad_norm": np.abs(rng.normal(1, 0.1, steps)),
    }
    for i in range(metrics - len(series)):
        series[f"layer{i // 8}__stat_{i % 8}"] = rng.normal(0, 1, steps)
    return make_run(run_id, **series)
