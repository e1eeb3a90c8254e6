"""The in-memory source: the reference every other adapter must agree with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.domain.model import MetricSeries, Run, RunInfo
from tests.contract.spec import RunSpec, Seeded

NAME = "memory"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    runs = []
    for order, spec in enumerate(specs):
        series = {k: MetricSeries(k, s.steps, s.values) for k, s in spec.series.items()}
        last = max(max(s.steps) for s in spec.series.values())
        info = RunInfo(id=f"mem-{order}", name=spec.name, source=NAME, last_step=last, updated_at=float(order))
        runs.append(Run(info=info, config=dict(spec.config), series=series))
    return Seeded(InMemoryRunSource(runs), {s.name: f"mem-{i}" for i, s in enumerate(specs)}, {}, tmp_path)
