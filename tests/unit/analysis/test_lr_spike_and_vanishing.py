"""Two analysis defects seen on real runs, reproduced by really training the numpy MLP on digits:

- a one-step ×50 lr spike was read as a "warmup+step" (or "irregular") schedule, and the advice was to lower the
  peak lr or lengthen warmup; it is a transient jump, reported as such, with the damage it did;
- gradient norms collapsing 1e5× after the loss had made progress were reported only as a converged plateau
  ("training could stop"); the collapse is the finding.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runwise.domain.analysis import Analysis, analyze
from tests.unit.analysis.trainer import Config, constant, to_run, train, warmup_cosine

SPIKE_AT = 500


def _spiked(base: Callable[[int], float]) -> Callable[[int], float]:
    return lambda i: base(i) * (50 if i == SPIKE_AT else 1)


@pytest.fixture(scope="module", params=["constant", "warmup-cosine"])
def lr_spike(request: pytest.FixtureRequest) -> Analysis:
    base = constant(0.05) if request.param == "constant" else warmup_cosine(0.05, 50, 1000)
    trace = train(Config("lr-spike", 1000, _spiked(base), weight_decay=1e-3, seed=1))
    return analyze(to_run("lr-spike", trace))


def test_one_step_lr_spike_is_a_transient_not_the_schedule(lr_spike: Analysis) -> None:
    assert lr_spike.lr is not None
    assert lr_spike.lr.shape in ("constant", "warmup+cosine"), lr_spike.lr.shape
    assert lr_spike.lr.peak <= 0.05 + 1e-12  # the schedule's peak, not the spike's
    (jump,) = lr_spike.lr.transients
    assert jump.step == SPIKE_AT and jump.points == 1 and 45 <= jump.factor <= 55


def test_lr_spike_finding_names_the_jump_and_its_damage(lr_spike: Analysis) -> None:
    lr_issues = [a for a in lr_spike.anomalies if a.kind == "lr_issue"]
    assert len(lr_issues) == 1, [a.message for a in lr_issues]
    (issue,) = lr_issues
    assert issue.severity == "warning" and issue.start_step == SPIKE_AT
    assert "jumped 50× for 1 step" in issue.message.replace("49.8×", "50×") and "blew up right after" in issue.message
    advice = " ".join(lr_spike.recommendations)
    assert "lengthen warmup" not in advice and "Lower the" not in advice
    assert f"lr scheduler and optimizer state at step {SPIKE_AT}" in advice
    assert "Inspect the batches" not in advice  # the spikes it caused are the jump's doing


@pytest.fixture(scope="module")
def vanished() -> Analysis:
    trace = train(Config("vanish", 1000, warmup_cosine(0.1, 100, 1000), weight_decay=1e-3, seed=1, vanish_at=400))
    return analyze(to_run("vanish", trace))


def test_gradient_collapse_after_progress_is_a_finding(vanished: Analysis) -> None:
    (a,) = [a for a in vanished.anomalies if a.kind == "gradient_vanishing"]
    assert a.severity == "warning" and abs(a.start_step - 400) <= 20, a
    assert "after progress" in a.message
    assert vanished.health.status == "warning"
    assert not [x for x in vanished.anomalies if x.kind == "plateau"]  # not "converged"
    assert not any("could stop" in r for r in vanished.recommendations)
