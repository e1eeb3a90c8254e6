"""REF@STEP: the run as it was at a step, its info cut as well as its series."""

from __future__ import annotations

import numpy as np
import pytest

from runwise.domain.analysis import analyze
from runwise.domain.model import MetricSeries, Run, RunInfo

START = 1_767_225_600.0


def _run(*, walls: bool = True, runtime: float | None = 100.0) -> Run:
    steps = np.arange(1000)
    loss = MetricSeries("train/loss", steps, 2.0 * np.exp(-steps / 200) + 0.1, START + 0.1 * steps if walls else None)
    vsteps = np.arange(0, 1000, 100)
    val = MetricSeries("val/loss", vsteps, 1.0 - vsteps / 2000, START + 0.1 * vsteps if walls else None)
    info = RunInfo(
        "r", "r", "memory", state="finished", created_at=START, updated_at=START + 99.9, last_step=999,
        runtime_s=runtime,
    )  # fmt: skip
    return Run(info, series={"train/loss": loss, "val/loss": val})


def test_cut_info_describes_the_run_at_that_step() -> None:
    cut, used = _run().at_step(500)
    assert used == 500 and cut.info.last_step == 500
    assert cut.info.state == "unknown"  # it was not "finished" at step 500
    assert cut.info.updated_at == pytest.approx(START + 50.0)
    assert cut.info.runtime_s == pytest.approx(100.0 - (99.9 - 50.0))  # the source's runtime less what came after
    assert cut.partial_of == 999


def test_runtime_from_wall_times_when_the_source_has_none() -> None:
    cut, _ = _run(runtime=None).at_step(500)
    assert cut.info.runtime_s == pytest.approx(50.0)


def test_without_wall_times_runtime_is_unknown() -> None:
    cut, _ = _run(walls=False).at_step(500)
    assert cut.info.runtime_s is None and cut.info.updated_at is None and cut.info.state == "unknown"


def test_a_step_at_or_past_the_end_cuts_nothing() -> None:
    run = _run()
    cut, used = run.at_step(5000)
    assert used == 999 and cut.info == run.info and cut.partial_of is None


def test_headline_of_a_partial_run_says_as_of_and_not_how_it_ended() -> None:
    cut, _ = _run().at_step(500)
    first = analyze(cut).headline.split(". ")[0]
    assert first == "As of step 500 (the log goes on to step 999)"
    assert "finished" not in analyze(cut).headline
