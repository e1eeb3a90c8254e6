"""Recommendations: one short action per problem, each naming the evidence that triggered it.

No advice without evidence: every sentence carries a step, a value or a ratio from the run, and a healthy run gets
none (except the note that training could have stopped earlier, which is itself a measured fact).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from runwise.domain.analysis.detectors.lr_issue import TOO_HIGH
from runwise.domain.analysis.health import main_problem
from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.windows import finite_points
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import Run
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role

MAX_RECOMMENDATIONS = 4


def _typical_before(run: Run, key: str, before: int) -> float | None:
    """Median of a metric over the last tenth of its points before a step."""
    steps, values = finite_points(run.series[key])
    cut = int(np.searchsorted(steps, before, side="left"))
    if cut == 0:
        return None
    return float(np.median(values[max(0, cut - max(3, cut // 10)) : cut]))


def _round2(value: float) -> str:
    """Two significant digits: a suggested clip norm is a round number, not 9.311."""
    return format_value(float(f"{value:.2g}"), Role.GRAD_NORM)


def _blamed_on_lr(anomalies: Sequence[Anomaly]) -> bool:
    return any(a.kind == "lr_issue" and TOO_HIGH in a.message for a in anomalies)


def _lr_fix(lr: LrAnalysis | None) -> str:
    if lr is None or lr.peak_step is None:
        return "Lower the lr"
    peak = format_value(lr.peak, Role.LR)
    if lr.has_warmup and lr.warmup_end_step is not None:
        return f"Lower the peak lr ({peak} at step {format_step(lr.peak_step)}) or lengthen warmup"
    return f"Lower the lr (peak {peak})"


def _one(a: Anomaly, run: Run, keys: KeyRoles, lr: LrAnalysis | None, anomalies: Sequence[Anomaly]) -> str | None:
    """The action for one anomaly, or None when it calls for none."""
    s = format_step(a.start_step)
    explosion = next(
        (
            x
            for x in anomalies
            if x.kind == "gradient_explosion" and x.start_step <= a.start_step and x.severity != "info"
        ),
        None,
    )
    if a.kind == "nan_inf" and "no finite value" in a.message:
        return f"Check how {a.metric} is computed and logged: it was never finite (from step {s})."
    if a.kind == "nan_inf" and a.severity == "warning":
        span = s if a.end_step == a.start_step else f"{s}–{format_step(a.end_step)}"
        return f"Check the batches and inputs at steps {span}: {a.metric} was non-finite there, then finite again."
    if a.kind in ("nan_inf", "divergence") and a.metric in (keys.train_loss, keys.val_loss) and a.severity != "info":
        what = "NaN began" if a.kind == "nan_inf" else "the rise began"
        if explosion is not None:
            typical = _typical_before(run, explosion.metric, explosion.start_step)
            clip = f" to ~{_round2(2 * typical)}" if typical else ""
            lr_part = "Lower the lr"
            if _blamed_on_lr(anomalies) and lr is not None and lr.peak_step is not None:
                lr_part = f"Lower the peak lr ({format_value(lr.peak, Role.LR)} at step {format_step(lr.peak_step)})"
            return (
                f"{lr_part} and clip gradients{clip}: {explosion.metric} exploded from step "
                f"{format_step(explosion.start_step)}, {what} at step {s}."
            )
        return f"{_lr_fix(lr)}, and resume from a checkpoint before step {s}, where {what}."
    if a.kind == "nan_inf" and a.severity != "info":
        return f"Find what makes {a.metric} non-finite from step {s} (a log or division of zero, an overflow)."
    if a.kind == "gradient_explosion" and a.severity != "info":
        typical = _typical_before(run, a.metric, a.start_step)
        clip = f" to ~{_round2(2 * typical)}" if typical else ""
        return f"Clip gradients{clip}: {a.metric} jumped far above its baseline at step {s}."
    if a.kind == "lr_issue":
        if TOO_HIGH in a.message:
            return f"{_lr_fix(lr)}: the blow-up at step {s} followed the lr schedule."
        if "reached 0" in a.message:
            return f"Check the scheduler's total steps: {a.metric} reached 0 at step {s}, long before the end."
        if "too low" in a.message and a.value is not None:
            return f"Raise the lr (at most {format_value(a.value, Role.LR)} from step {s}): the loss barely moved."
    if a.kind == "overfitting":
        return (
            f"Keep the checkpoint from step {s} (best {a.metric}); stop earlier or add regularisation/data, "
            f"since {a.metric} worsened after it."
        )
    if a.kind == "plateau" and a.severity != "info":
        return f"Check that the weights update (optimizer step, frozen layers): {a.metric} barely moved from step {s}."
    if a.kind == "plateau":
        return f"Training could stop around step {s}: {a.metric} improved under 1% after it."
    if a.kind == "gradient_vanishing":
        return f"Check initialisation, normalisation, activations: {a.metric} collapsed at step {s}, the loss stalled."
    if a.kind == "instability":
        return f"Lower the lr or raise the batch size: {a.metric} is erratic from step {s}."
    if a.kind == "loss_spike" and a.severity != "info":
        peaks = sorted({x.peak_step for x in anomalies if x.kind == "loss_spike" and x.metric == a.metric})[:3]
        where = ", ".join(format_step(p) for p in peaks)
        plural = "s" if len(peaks) > 1 else ""
        return f"Inspect the batches at step{plural} {where}: {a.metric} spiked there, then recovered."
    if a.kind == "throughput_drop" and a.severity != "info":
        return f"Check data loading, I/O and other jobs on the machine from step {s}: {a.metric} dropped there."
    return None


def _family(a: Anomaly, keys: KeyRoles) -> str:
    """Anomalies whose remedy is the same action share a family, so the action is said once."""
    if a.kind == "nan_inf" and "no finite value" in a.message:
        return f"never-finite:{a.metric}"
    if a.kind == "nan_inf" and a.severity == "warning":
        return "intermittent-nan"
    if a.kind in ("nan_inf", "divergence") and a.metric in (keys.train_loss, keys.val_loss):
        return "blow-up"
    if a.kind == "nan_inf" and a.severity == "critical":
        return "blow-up"  # a metric ending in NaN goes with the loss's blow-up, one remedy for both
    if a.kind == "lr_issue" and TOO_HIGH in a.message:
        return "blow-up"
    if a.kind == "gradient_explosion":
        return "clip"
    return a.kind


def recommendations(
    anomalies: Sequence[Anomaly], run: Run, keys: KeyRoles, lr: LrAnalysis | None = None
) -> tuple[str, ...]:
    """Up to four actions, the main problem's first, one per kind of problem."""
    main = main_problem(anomalies, keys)
    ordered = ([main] if main else []) + [a for a in anomalies if a is not main]
    out: list[str] = []
    seen: set[str] = set()
    for a in ordered:
        family = _family(a, keys)
        if family in seen:
            continue
        text = _one(a, run, keys, lr, anomalies)
        if text and text not in out:
            seen.add(family)
            if "lip gradients" in text:
                seen.add("clip")
            out.append(text)
        if len(out) >= MAX_RECOMMENDATIONS:
            break
    return tuple(out)
