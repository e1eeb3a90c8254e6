"""Short factual phrases about a run: how far it got and where its key metrics stand.

Shared by the headline and the health finding so both say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.analysis.windows import end_level
from runwise.domain.model import MetricSeries, Run
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role
from runwise.domain.schema import MetricSchema
from runwise.domain.series import best, nonfinite_label, trend

TREND_WORDS = {"↓": "falling", "↑": "rising", "→": "flat"}
_PLANNED_STEPS = (
    "max_steps", "total_steps", "num_train_steps", "num_training_steps", "train_steps", "max_iters", "max_iter",
    "num_steps", "total_iters", "training_steps", "max_step", "steps",
)  # fmt: skip


def last_step(run: Run) -> int | None:
    """The run's last step: from its info, else the largest step logged."""
    if run.info.last_step is not None:
        return run.info.last_step
    lasts = [s.last_step for s in run.series.values() if s.last_step is not None]
    return max(lasts) if lasts else None


def planned_steps(config: Mapping[str, Any]) -> int | None:
    """Total steps the run was configured for, when the config says (flat or one level deep)."""
    scopes: list[Mapping[str, Any]] = [config, *(v for v in config.values() if isinstance(v, Mapping))]
    for scope in scopes:
        for name in _PLANNED_STEPS:
            value = scope.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


def progress_sentence(run: Run) -> str:
    """How far training got: 'Training reached step 1,999 of 10,000 (20%), crashed.'

    For the run as it was at a step (REF@STEP) nothing is said about how it ended, only that the log goes on:
    'As of step 500 (the log goes on to step 1,999).'
    """
    at = last_step(run)
    if at is None:
        return "No steps logged."
    planned = planned_steps(run.config)
    of = f" of {format_step(planned)} ({at / planned:.0%})" if planned and planned >= at else ""
    if run.partial_of is not None:
        return f"As of step {format_step(at)}{of} (the log goes on to step {format_step(run.partial_of)})."
    state = run.info.state
    if state == "running":
        return f"Running, at step {format_step(at)}{of}."
    suffix = {"finished": ", finished", "crashed": ", crashed"}.get(state, "")
    return f"Training reached step {format_step(at)}{of}{suffix}."


def _value(v: float, role: Role, schema: MetricSchema, key: str) -> str:
    return format_value(v, role, percent=schema.is_percent(key))


def metric_phrase(series: MetricSeries, role: Role, schema: MetricSchema) -> str | None:
    """'train/loss 2.3→~0.21 (smoothed, flat lately)' or 'val/loss best 0.12 at step 900, now 0.13 and rising'.

    Every figure is either a logged point, as the metrics table shows it (the first value, a best, a last
    value), or marked: a noisy training curve's level at the end is the median of its last points, shown as
    "~0.21 (smoothed)", because the last batch alone can sit far from it and would contradict the table's
    raw last value without saying why.
    """
    finite = np.isfinite(series.values)
    if not finite.any():
        return None
    values = series.values[finite]
    key = series.key
    ends_bad = not finite[-1]
    with np.errstate(all="ignore"):  # a blown-up loss (1e200) overflows the trend's variance: it reads as flat
        word = TREND_WORDS.get(trend(series), "")
    lately = f" ({word} lately)" if word and not ends_bad else ""
    tail = f" and {word}" if word and not ends_bad else ""
    direction = schema.direction(key)
    if role in (Role.VAL_LOSS, Role.VAL_ACCURACY) and direction is not None:
        b, b_step = best(series, direction)
        last_step = int(series.steps[np.flatnonzero(finite)[-1]])
        now = nonfinite_label(float(series.values[-1])) if ends_bad else _value(float(values[-1]), role, schema, key)
        if b is not None and b_step is not None and (b_step != last_step or ends_bad):
            return f"{key} best {_value(b, role, schema, key)} at step {format_step(b_step)}, now {now}{tail}"
        return f"{key} {now}, its best{tail}"
    first = _value(float(values[0]), role, schema, key)
    if ends_bad:
        return f"{key} {first}→{nonfinite_label(float(series.values[-1]))}"
    raw_last = _value(float(values[-1]), role, schema, key)
    level = _value(end_level(values), role, schema, key) if role in (Role.LOSS, Role.ACCURACY) else raw_last
    if level == raw_last:
        return f"{key} {first}→{raw_last}{lately}"
    notes = ", ".join(["smoothed", *([f"{word} lately"] if word else [])])
    return f"{key} {first}→~{level} ({notes})"


def key_phrases(run: Run, keys: KeyRoles, schema: MetricSchema, limit: int = 3) -> list[str]:
    """Phrases for the objective, the validation metric and one accuracy-like metric, in that order."""
    chosen: list[str] = []
    for key in (keys.train_loss, keys.val_loss, keys.val_metric):
        if key and key not in chosen:
            chosen.append(key)
    if len(chosen) < limit:
        extra = [k for k, r in keys.roles.items() if r in (Role.ACCURACY, Role.VAL_ACCURACY) and len(run.series[k])]
        chosen += [
            k for k in sorted(extra, key=lambda k: (keys.roles[k] != Role.VAL_ACCURACY, len(k))) if k not in chosen
        ]
    if not chosen:
        chosen = [k for k, r in keys.roles.items() if r is Role.LOSS and len(run.series[k])][:1]
    phrases = [metric_phrase(run.series[k], keys.roles[k], schema) for k in chosen[:limit]]
    return [p for p in phrases if p]
