"""crashed: a run that crashed, or stopped short of its planned length without a finish record, is not healthy.

The state comes from the source (a W&B exit record, a TensorBoard session status; a log that stopped being
written long ago reads as not running). How far the run got is measured against the planned length when the
config names it: a step count (max_steps, total_steps, ...) against the last step logged, or an epoch count
(epochs, num_train_epochs, max_epochs, ...) against the epoch counter logged with the metrics.

- crashed: critical, unless it reached its planned length (then a warning: it crashed on the way out);
- no state recorded (plain logs never record one), not running, and under 90% of a known planned length:
  a warning, "stalled or crashed?";
- running, finished, or the run as it was at an earlier step (REF@STEP): nothing to say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from runwise.domain.analysis.detectors.common import step
from runwise.domain.analysis.facts import last_step, planned_steps
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import Threshold, Thresholds
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.model import Run
from runwise.domain.roles import Role

THRESHOLDS = (
    Threshold(
        "stopped_short_fraction", 0.90,
        "a run with no finish record that stopped under this fraction of its planned length is 'stalled or crashed?'",
    ),
)  # fmt: skip
_PLANNED_EPOCHS = ("num_train_epochs", "max_epochs", "epochs", "num_epochs", "n_epochs", "total_epochs", "train_epochs")
_EPOCH_KEYS = ("epoch", "epochs", "train/epoch", "trainer/epoch")
_REACHED = 0.98  # a crash after this much of the planned length is a crash on the way out


def _planned_epochs(config: Mapping[str, Any]) -> float | None:
    scopes: list[Mapping[str, Any]] = [config, *(v for v in config.values() if isinstance(v, Mapping))]
    for scope in scopes:
        for name in _PLANNED_EPOCHS:
            value = scope.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                return float(value)
    return None


def _epochs_done(run: Run) -> float | None:
    """Epochs completed by the logged epoch counter: 0-based whole counters (Keras, Lightning) count the epoch
    in progress as done when it was logged; fractional counters (Hugging Face) are the fraction itself."""
    for key in _EPOCH_KEYS:
        series = run.series.get(key)
        if series is None:
            continue
        values = series.values[np.isfinite(series.values)]
        if values.size == 0:
            continue
        top = float(values.max())
        whole = bool(np.all(values == np.round(values)))
        return top + 1 if whole and float(values.min()) == 0 else top
    return None


def progress(run: Run) -> tuple[str, float] | None:
    """('step 871 of 1,500', 0.58) or ('epoch 3 of 10', 0.3) when the planned length is known."""
    at = last_step(run)
    planned = planned_steps(run.config)
    if at is not None and planned:
        return f"step {step(at)} of {step(planned)}", at / planned
    epochs = _planned_epochs(run.config)
    done = _epochs_done(run) if epochs else None
    if epochs and done is not None:
        return f"epoch {done:g} of {epochs:g}", done / epochs
    return None


def find(scope: Scope) -> list[Anomaly]:
    run = scope.run
    state = run.info.state
    if run.partial_of is not None or state in ("running", "finished"):
        return []
    th = Thresholds.from_schema(scope.schema, THRESHOLDS)
    at = last_step(run)
    if at is None:
        return []
    how_far = progress(run)
    where = f"{how_far[0]} ({how_far[1]:.0%})" if how_far else f"step {step(at)}"
    severity: Severity
    if state == "crashed":
        reached = how_far is not None and how_far[1] >= _REACHED
        severity = "warning" if reached else "critical"
        message = f"the run crashed at {where}" + (", after reaching its planned length" if reached else "")
    elif how_far is not None and how_far[1] < th.stopped_short_fraction:
        severity = "warning"
        message = f"the run stopped logging at {where} with no finish record: stalled or crashed?"
    else:
        return []
    return [
        Anomaly(
            kind="crashed",
            metric="run",
            start_step=at,
            end_step=at,
            peak_step=at,
            severity=severity,
            message=message,
            value=how_far[1] if how_far else None,
        )
    ]


def advise(a: Anomaly, c: Advice) -> str | None:
    return (
        f"Read the run's error output around step {step(a.start_step)} and resume from its last checkpoint: "
        "the run did not finish."
    )


DETECTOR = Detector(
    kind="crashed",
    priority=35,
    applies_to=(Role.PROGRESS,),
    thresholds=THRESHOLDS,
    needs="the run's state from its source; the planned length (max_steps, epochs, ...) from its config",
    find=find,
    advise=advise,
    per_session=False,
)
