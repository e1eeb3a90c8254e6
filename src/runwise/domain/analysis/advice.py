"""Figures the detectors' advice cites: the typical value before a step, a round clip norm, the lr fix.

No advice without evidence: every sentence a detector advises carries a step, a value or a ratio from the run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.windows import finite_points
from runwise.domain.anomaly import Anomaly
from runwise.domain.medians import median
from runwise.domain.model import Run
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role

# How an lr_issue blaming a blow-up on the learning rate is worded; other modules recognise such findings by it.
TOO_HIGH = "the lr is likely too high"


def typical_before(run: Run, key: str, before: int) -> float | None:
    """Median of a metric over the last tenth of its points before a step."""
    steps, values = finite_points(run.series[key])
    cut = int(np.searchsorted(steps, before, side="left"))
    if cut == 0:
        return None
    return float(median(values[max(0, cut - max(3, cut // 10)) : cut]))


def round2(value: float) -> str:
    """Two significant digits: a suggested clip norm is a round number, not 9.311."""
    return format_value(float(f"{value:.2g}"), Role.GRAD_NORM)


def clip_to(run: Run, key: str, before: int) -> str:
    """' to ~2' (twice the typical grad norm before the explosion), or '' when it is unknown."""
    typical = typical_before(run, key, before)
    return f" to ~{round2(2 * typical)}" if typical else ""


def blamed_on_lr(anomalies: Sequence[Anomaly]) -> bool:
    return any(a.kind == "lr_issue" and TOO_HIGH in a.message for a in anomalies)


def lr_fix(lr: LrAnalysis | None) -> str:
    """'Lower the peak lr (0.5 at step 300) or lengthen warmup', as the schedule allows."""
    if lr is None or lr.peak_step is None:
        return "Lower the lr"
    peak = format_value(lr.peak, Role.LR)
    if lr.has_warmup and lr.warmup_end_step is not None:
        return f"Lower the peak lr ({peak} at step {format_step(lr.peak_step)}) or lengthen warmup"
    return f"Lower the lr (peak {peak})"


def explosion_before(anomalies: Sequence[Anomaly], step: int) -> Anomaly | None:
    """The first serious gradient explosion that started at or before a step: the likely cause of a blow-up."""
    return next(
        (a for a in anomalies if a.kind == "gradient_explosion" and a.start_step <= step and a.severity != "info"),
        None,
    )


def blow_up(a: Anomaly, run: Run, lr: LrAnalysis | None, anomalies: Sequence[Anomaly]) -> str:
    """The action for a loss that went NaN or diverged: clip and lower the lr when gradients exploded first,
    else lower the lr and resume from before the onset."""
    s = format_step(a.start_step)
    what = "NaN began" if a.kind == "nan_inf" else "the rise began"
    explosion = explosion_before(anomalies, a.start_step)
    if explosion is not None:
        lr_part = "Lower the lr"
        if blamed_on_lr(anomalies) and lr is not None and lr.peak_step is not None:
            lr_part = f"Lower the peak lr ({format_value(lr.peak, Role.LR)} at step {format_step(lr.peak_step)})"
        return (
            f"{lr_part} and clip gradients{clip_to(run, explosion.metric, explosion.start_step)}: "
            f"{explosion.metric} exploded from step {format_step(explosion.start_step)}, {what} at step {s}."
        )
    return f"{lr_fix(lr)}, and resume from a checkpoint before step {s}, where {what}."
