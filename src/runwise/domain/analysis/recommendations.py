"""Recommendations: one short action per problem, each naming the evidence that triggered it.

Each detector record carries its own advice (registry.py); this module orders them and says each action once.

No advice without evidence: every sentence carries a step, a value or a ratio from the run, and a healthy run gets
none (except the note that training could have stopped earlier, which is itself a measured fact).
"""

from __future__ import annotations

from collections.abc import Sequence

from runwise.domain.analysis.advice import TOO_HIGH
from runwise.domain.analysis.detectors import REGISTRY
from runwise.domain.analysis.health import main_problem
from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.registry import Advice
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import Run

MAX_RECOMMENDATIONS = 4
_ADVICE = {d.kind: d.advise for d in REGISTRY}


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
    context = Advice(run, keys, lr, anomalies)
    ordered = ([main] if main else []) + [a for a in anomalies if a is not main]
    out: list[str] = []
    seen: set[str] = set()
    for a in ordered:
        family = _family(a, keys)
        if family in seen:
            continue
        text = _ADVICE[a.kind](a, context)
        if text and text not in out:
            seen.add(family)
            if "lip gradients" in text:
                seen.add("clip")
            out.append(text)
        if len(out) >= MAX_RECOMMENDATIONS:
            break
    return tuple(out)
