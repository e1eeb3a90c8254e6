"""Small helpers shared by detectors: severity order, wording of values and steps."""

from __future__ import annotations

import math

from runwise.domain.anomaly import SEVERITY_RANK, Severity
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role


def cap(severity: Severity, highest: Severity) -> Severity:
    """The lower of two severities."""
    return severity if SEVERITY_RANK[severity] <= SEVERITY_RANK[highest] else highest


def fmt(value: float, role: Role = Role.OTHER) -> str:
    return format_value(float(value), role)


def step(value: int) -> str:
    return format_step(int(value))


def steps_word(count: int) -> str:
    """'1 step', '12 steps'."""
    return f"{format_step(int(count))} step{'' if count == 1 else 's'}"


def times(ratio: float) -> str:
    """A multiple in words: 3.2×, 45×, 1.2e+03×."""
    if not math.isfinite(ratio):
        return "∞×"
    if ratio >= 1000:
        return f"{ratio:.1e}×"
    if ratio >= 10:
        return f"{ratio:.0f}×"
    return f"{ratio:.1f}×"


def percent(fraction: float) -> str:
    """A signed relative change: +104%, −3.2%; a rise beyond +1000% as a multiple (53×)."""
    if fraction >= 10:
        return times(1 + fraction)
    pct = fraction * 100
    sign = "+" if pct >= 0 else "−"
    mag = abs(pct)
    return f"{sign}{mag:.0f}%" if mag >= 10 else f"{sign}{mag:.1f}%"
