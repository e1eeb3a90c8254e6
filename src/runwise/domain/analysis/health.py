"""Health check: a status and the single most important finding, short enough for an 80-token answer.

The finding stays under MAX_FINDING_CHARS: context is dropped before the fact, the fact's detail clause before
the fact itself.

The most important problem is the most severe, then the most fundamental kind (NaN before divergence before a
spike), then the one on the objective rather than a side metric. Its precursors (a divergence or a gradient
explosion shortly before a NaN, the lr peak it followed) are added as context because they are the cause a user
will act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import attrs

from runwise.domain.analysis.advice import TOO_HIGH
from runwise.domain.analysis.detect import KIND_PRIORITY
from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.anomaly import SEVERITY_RANK, Anomaly
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role
from runwise.domain.shared_repr import fields_repr

HealthStatus = Literal["healthy", "warning", "critical"]
MAX_FINDING_CHARS = 230  # about 70 tokens of this dense text, leaving room for the run name within 80


@attrs.frozen
class Health:
    """Overall status and the one fact that matters most."""

    __repr__ = fields_repr

    status: HealthStatus
    finding: str


def _metric_rank(metric: str, keys: KeyRoles) -> int:
    order = [keys.train_loss, keys.val_loss, keys.val_metric, *keys.grad_norms, keys.lr]
    return order.index(metric) if metric in order else len(order)


def main_problem(anomalies: Sequence[Anomaly], keys: KeyRoles) -> Anomaly | None:
    """The anomaly a person should hear about first (None when there is nothing above info)."""
    serious = [a for a in anomalies if a.severity != "info"]
    if not serious:
        return None
    return min(
        serious,
        key=lambda a: (-SEVERITY_RANK[a.severity], KIND_PRIORITY[a.kind], _metric_rank(a.metric, keys), a.start_step),
    )


def precursors(main: Anomaly, anomalies: Sequence[Anomaly]) -> list[str]:
    """Short phrases for what led to a NaN or divergence: an earlier divergence, a grad explosion."""
    if main.kind not in ("nan_inf", "divergence"):
        return []
    out: list[str] = []
    for a in sorted(anomalies, key=lambda a: a.start_step):
        if a is main or a.severity == "info" or a.start_step > main.start_step:
            continue
        if a.kind == "divergence" and a.metric == main.metric:
            out.append(f"it diverged from step {format_step(a.start_step)}")
        elif a.kind == "gradient_explosion":
            out.append(f"{a.metric} exploded from step {format_step(a.start_step)}")
    return out[:2]


def lr_context(main: Anomaly, anomalies: Sequence[Anomaly]) -> str:
    """'with the lr still warming up to 0.5' or 'the lr peaked at 0.5 at step 8,000', when an lr issue explains it."""
    if main.kind == "lr_issue":
        return ""
    for a in anomalies:
        if a.kind == "lr_issue" and TOO_HIGH in a.message and a.value is not None and a.start_step <= main.start_step:
            peak = format_value(a.value, Role.LR)
            if a.start_step < a.peak_step:
                return f"the lr was still warming up to {peak} (step {format_step(a.peak_step)})"
            return f"the lr peaked at {peak} at step {format_step(a.peak_step)}"
    return ""


def _fit(text: str, limit: int = MAX_FINDING_CHARS) -> str:
    """Cut at a clause boundary, never mid-fact, when a finding is too long."""
    if len(text) <= limit:
        return text
    for sep in ("; ", ", "):
        cut = text.rfind(sep, 0, limit - 1)
        if cut > limit // 2:
            return text[:cut] + "…"
    return text[: limit - 1] + "…"


def health(anomalies: Sequence[Anomaly], keys: KeyRoles, healthy_facts: Sequence[str] = ()) -> Health:
    """Status from the most severe anomaly, finding from the most important one."""
    main = main_problem(anomalies, keys)
    if main is None:
        facts = "; ".join(healthy_facts[:2])
        return Health("healthy", _fit(f"No problems found: {facts}." if facts else "No problems found."))
    status: HealthStatus = "critical" if main.severity == "critical" else "warning"
    context = precursors(main, anomalies)
    lr_text = lr_context(main, anomalies)
    short = main.message.split("; ")[0]  # the fact itself, without its detail clause
    candidates = [main.message] if not (context or lr_text) else []
    for lr_part in ([lr_text] if lr_text else []), []:
        for count in range(len(context), -1, -1):
            after = [f"after {', '.join(context[:count])}"] if count else []
            candidates += ["; ".join([head, *after, *lr_part]) for head in (main.message, short)]
    finding = next((c for c in candidates if len(c) <= MAX_FINDING_CHARS), short)
    others = sum(1 for a in anomalies if a.severity != "info") - 1
    if others > 0 and len(finding) + 20 <= MAX_FINDING_CHARS:
        finding += f" (+{others} more)"
    return Health(status, _fit(finding))
