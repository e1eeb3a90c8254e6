"""crashed: the run's own state (from its source) and how far it got against the planned length in its config."""

from __future__ import annotations

import attrs
import pytest

from runwise.domain.analysis import analyze
from runwise.domain.model import Run
from tests.unit.analysis.corpus import Case


@pytest.fixture
def run(healthy: dict[str, Case]) -> Run:
    """A healthy run really trained for 1,000 steps (0–999)."""
    return healthy["warmup-cosine-0"].run


def _with(run: Run, state: str, config: dict[str, object]) -> Run:
    return attrs.evolve(run, info=attrs.evolve(run.info, state=state), config=config)


def test_crashed_run_short_of_its_planned_steps_is_critical(run: Run) -> None:
    result = analyze(_with(run, "crashed", {"trainer": {"max_steps": 4000}}))
    (crashed,) = [a for a in result.anomalies if a.kind == "crashed"]
    assert crashed.severity == "critical" and crashed.start_step == 999
    assert result.health.status == "critical"
    assert "crashed at step 999 of 4,000 (25%)" in result.health.finding
    assert "Main problem: the run crashed" in result.headline
    assert any("did not finish" in r for r in result.recommendations)


def test_crashed_run_without_a_planned_length_is_still_critical(run: Run) -> None:
    result = analyze(_with(run, "crashed", {}))
    assert result.health.status == "critical" and "the run crashed at step 999" in result.health.finding


def test_crash_after_the_planned_length_is_a_warning(run: Run) -> None:
    result = analyze(_with(run, "crashed", {"max_steps": 1000}))
    assert result.health.status == "warning" and "after reaching its planned length" in result.health.finding


def test_stopped_short_without_a_finish_record_is_stalled_or_crashed(run: Run) -> None:
    result = analyze(_with(run, "unknown", {"num_train_epochs": 10, "max_steps": 5000}))
    assert result.health.status == "warning" and "stalled or crashed?" in result.health.finding


@pytest.mark.parametrize(
    ("state", "config"),
    [
        ("finished", {"max_steps": 4000}),  # early stopping finishes short: not a crash
        ("running", {"max_steps": 4000}),
        ("unknown", {}),  # a plain log with no planned length: nothing to judge
        ("unknown", {"max_steps": 1000}),
    ],
)
def test_no_finding_when_the_state_says_nothing_wrong(run: Run, state: str, config: dict[str, object]) -> None:
    result = analyze(_with(run, state, config))
    assert not [a for a in result.anomalies if a.kind == "crashed"]
    assert result.health.status == "healthy"


def test_run_as_it_was_at_an_earlier_step_is_not_judged_by_its_end(run: Run) -> None:
    early, _ = _with(run, "crashed", {"max_steps": 4000}).at_step(500)
    assert not [a for a in analyze(early).anomalies if a.kind == "crashed"]


def test_epochs_from_a_zero_based_counter(run: Run) -> None:
    import numpy as np

    from runwise.domain.model import MetricSeries

    epoch = MetricSeries("epoch", np.arange(0, 1000, 100), np.arange(10.0) // 3)  # epochs 0..3 logged
    crashed = attrs.evolve(_with(run, "crashed", {"epochs": 8}), series={**run.series, "epoch": epoch})
    (a,) = [a for a in analyze(crashed).anomalies if a.kind == "crashed"]
    assert "epoch 4 of 8 (50%)" in a.message
