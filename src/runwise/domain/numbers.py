"""Numbers formatted by magnitude and meaning: a loss is never a percent, an lr reads 3e-04."""

from __future__ import annotations

import math

from runwise.domain.roles import Role


def format_value(value: float | None, role: Role = Role.OTHER, *, percent: bool = False) -> str:
    """Short, faithful text for one value."""
    if value is None:
        return "—"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    if percent and role not in (Role.LOSS, Role.VAL_LOSS) and -1.0 <= value <= 1.0:
        return f"{value * 100:.2f}%"
    if role is Role.LR:
        return format_number(value) if value == 0 or abs(value) >= 1e-2 else _scientific(value, 2)
    return format_number(value)


def _scientific(value: float, digits: int) -> str:
    """3e-04, 2.5e-04, 1.23e+06: trailing zeros of the mantissa dropped."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


def format_number(value: float) -> str:
    """Four significant digits, scientific only for very large or very small magnitudes."""
    if value == 0:
        return "0"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-3:
        return _scientific(value, 3)
    if float(value).is_integer() and magnitude < 1e6:
        return f"{int(value)}"
    text = f"{value:.4g}"
    return text


def format_step(step: int | None) -> str:
    """Steps with thousands separators: 100,000."""
    return "—" if step is None else f"{step:,}"


def format_duration(seconds: float | None) -> str:
    """Runtime as 3h12m, 4m05s or 12s."""
    if seconds is None or math.isnan(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"
