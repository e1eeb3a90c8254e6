"""analyze() on the trained corpus: health, headline and recommendations say facts tied to evidence."""

from __future__ import annotations

import re

import pytest

from runwise.domain.analysis import analyze
from runwise.domain.analysis.health import main_problem
from runwise.domain.analysis.keys import assign
from runwise.domain.numbers import format_step
from runwise.domain.schema import DEFAULT_SCHEMA
from tests.unit.analysis.corpus import Case

PROBLEM_NAMES = ["lr-too-high", "overfit", "lr-too-low", "bad-batches", "lr-jump"]
EXPECTED_STATUS = {
    "lr-too-high": "critical",
    "overfit": "warning",
    "lr-too-low": "warning",
    "bad-batches": "warning",
    "lr-jump": "critical",
}
STEP = re.compile(r"step \d[\d,]*")


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_headline_names_the_main_problem_and_its_step(problems: dict[str, Case], name: str) -> None:
    run = problems[name].run
    result = analyze(run)
    main = main_problem(result.anomalies, assign(run, DEFAULT_SCHEMA))
    assert main is not None
    assert f"step {format_step(main.start_step)}" in result.headline
    sentences = [s for s in re.split(r"(?<=[.])\s+(?=[A-Z])", result.headline) if s]
    assert 2 <= len(sentences) <= 3, result.headline
    assert result.headline.startswith("Training reached step")


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_health_status_and_a_short_finding(problems: dict[str, Case], name: str) -> None:
    health = analyze(problems[name].run).health
    assert health.status == EXPECTED_STATUS[name]
    assert 0 < len(health.finding) <= 300
    assert STEP.search(health.finding)


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_recommendations_are_tied_to_evidence(problems: dict[str, Case], name: str) -> None:
    result = analyze(problems[name].run)
    assert 1 <= len(result.recommendations) <= 4
    steps = {format_step(a.start_step) for a in result.anomalies} | {format_step(a.peak_step) for a in result.anomalies}
    for rec in result.recommendations:
        assert len(rec) <= 200, rec
        cited = set(re.findall(r"\d[\d,]*", rec))
        assert cited & steps, f"{rec!r} cites no step of the evidence {sorted(steps)}"


def test_specific_advice_for_each_problem(problems: dict[str, Case]) -> None:
    recs = {name: " ".join(analyze(problems[name].run).recommendations) for name in PROBLEM_NAMES}
    assert "Lower the peak lr (4 at step 299)" in recs["lr-too-high"] and "clip gradients" in recs["lr-too-high"]
    assert "checkpoint from step" in recs["overfit"]
    assert "Raise the lr" in recs["lr-too-low"]
    assert "Inspect the batches at steps 300, 550, 800" in recs["bad-batches"]
    assert "clip gradients" in recs["lr-jump"].lower()


def test_nan_finding_carries_its_precursors(problems: dict[str, Case]) -> None:
    finding = analyze(problems["lr-too-high"].run).health.finding
    assert finding.startswith("NaN in train/loss from step 725")
    assert "diverged from step" in finding and "warming up to 4" in finding


def test_healthy_runs_get_a_healthy_status_and_no_advice(healthy: dict[str, Case]) -> None:
    for name, case in healthy.items():
        result = analyze(case.run)
        assert result.health.status == "healthy", (name, result.health.finding)
        assert result.health.finding.startswith("No problems found")
        assert "No problems found" in result.headline
        assert result.recommendations == (), (name, result.recommendations)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("warmup-cosine-0", "warmup+cosine"),
        ("constant-0", "constant"),
        ("step-decay-0", "step"),
        ("linear-0", "warmup+linear"),
    ],
)
def test_lr_schedule_of_trained_runs(healthy: dict[str, Case], name: str, shape: str) -> None:
    lr = analyze(healthy[name].run).lr
    assert lr is not None and lr.shape == shape


def test_step_drop_reports_the_loss_response(healthy: dict[str, Case]) -> None:
    lr = analyze(healthy["step-decay-0"].run).lr
    assert lr is not None
    drops = [c for c in lr.changes if c.kind == "drop"]
    assert [c.step for c in drops] == [350, 700]
    assert all(c.loss_before is not None and c.loss_after is not None for c in drops)
    assert "after the lr drop" in lr.response
