"""Hand-made runs whose every statistic is known, wrapped as query rows."""

from __future__ import annotations

import math

import pytest

from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.query import RunRow, evaluate, parse_query
from runwise.domain.schema import MetricSchema

NAN = math.nan


def make_run(
    name: str = "bert-base-lr3e-4",
    *,
    state: str = "finished",
    tags: tuple[str, ...] = ("baseline", "bert"),
    project: str | None = "nlp",
    config: dict | None = None,
    series: dict[str, tuple[list[int], list[float]]] | None = None,
    summary: dict | None = None,
    last_step: int | None = 1000,
) -> Run:
    info = RunInfo(
        id=f"id-{name}",
        name=name,
        source="memory",
        project=project,
        state=state,  # type: ignore[arg-type]
        last_step=last_step,
        runtime_s=3600.0,
        tags=tags,
        notes="first try",
    )
    default_series = {
        "train/loss": ([0, 250, 500, 750, 1000], [2.0, 1.0, NAN, 0.5, 0.4]),
        "val/acc": ([0, 500, 1000], [0.5, 0.85, 0.8]),
        "val/loss": ([0, 500, 1000], [1.5, 0.7, 0.9]),
        "throughput/tokens_per_sec": ([0, 1000], [900.0, 1100.0]),
        "eval-f1.macro": ([1000], [0.7]),
        "epoch": ([0, 1000], [0.0, 3.0]),
        "lr": ([0, 1000], [3e-4, 1e-5]),
    }
    chosen = default_series if series is None else series
    default_config = {
        "lr": 3e-4,
        "batch_size": 32,
        "optimizer": {"name": "adamw", "betas": [0.9, 0.999], "weight_decay": 0.01},
        "trainer.max_steps": 1000,
        "amp": True,
        "dropout": 0.1,
        "warmup": "500",
        "nan_value": NAN,
        "flag_text": "true",
    }
    return Run(
        info=info,
        config=default_config if config is None else config,
        summary=summary or {},
        series={k: MetricSeries(k, s, v) for k, (s, v) in chosen.items()},
    )


@pytest.fixture
def run() -> Run:
    return make_run()


@pytest.fixture
def row(run: Run) -> RunRow:
    return RunRow.of(run)


@pytest.fixture
def check(row: RunRow):
    """check("expr") -> bool, evaluated on the default row."""

    def _check(text: str, on: RunRow | None = None) -> bool:
        return evaluate(parse_query(text), on or row)

    return _check


PERCENT_SCHEMA = MetricSchema(percent=("eval/score",))
