"""Short factual phrases about a run: how far it got and where its key metrics stand.

Shared by the headline and the health finding so both say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.model import MetricSeries, Run
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role
from runwise.domain.schema import MetricSchema
from runwise.domain.series import best, trend

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
    """How far training got: 'Training reached step 1,999 of 10,000 (20%), crashed.'"""
    at = last_step(run)
    if at is None:
        return "No steps logged."
    planned = planned_steps(run.config)
    of = f" of {format_step(planned)} ({at / planned:.0%})" if planned and planned >= at else ""
    state = run.info.state
    if state == "running":
        return f"Running, at step {format_step(at)}{of}."
    suffix = {"finished": ", finished", "crashed": ", crashed"}.get(state, "")
    return f"Training reached step {format_step(at)}{of}{suffix}."


def _value(v: float, role: Role, schema: MetricSchema, key: str) -> str:
    return format_value(v, role, percent=schema.is_percent(key))


def _level(values: np.ndarray, at_end: bool) -> float:
    """The value at one end of a series: the median of its first 3 points or of its last 5%, so one noisy batch
    does not stand for the level (only the very first points are "the start": a loss falls fast at first)."""
    if values.size < 20:
        return float(values[-1] if at_end else values[0])
    if not at_end:
        return float(np.median(values[:3]))
    return float(np.median(values[-max(1, values.size // 20) :]))


def metric_phrase(series: MetricSeries, role: Role, schema: MetricSchema) -> str | None:
    """'train/loss 2.3→0.21 (flat lately)' or 'val/loss best 0.12 at step 900, now 0.13 and rising'."""
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
        now = "NaN" if ends_bad else _value(float(values[-1]), role, schema, key)
        if b is not None and b_step is not None and (b_step != last_step or ends_bad):
            return f"{key} best {_value(b, role, schema, key)} at step {format_step(b_step)}, now {now}{tail}"
        return f"{key} {now}, its best{tail}"
    smooth = role in (Role.LOSS, Role.ACCURACY)
    first = _level(values, False) if smooth else float(values[0])
    last = "NaN" if ends_bad else _value(_level(values, True) if smooth else float(values[-1]), role, schema, key)
    return f"{key} {_value(first, role, schema, key)}→{last}{lately}"


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
