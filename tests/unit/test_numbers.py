from __future__ import annotations

import math

import pytest

from runwise.domain.numbers import format_duration, format_step, format_value
from runwise.domain.roles import Role


@pytest.mark.parametrize(
    ("value", "role", "percent", "text"),
    [
        (0.6271, Role.LOSS, True, "0.6271"),  # a loss is never a percent, even if asked
        (0.6271, Role.LOSS, False, "0.6271"),
        (3e-4, Role.LR, False, "3e-04"),
        (2.5e-4, Role.LR, False, "2.5e-04"),
        (0.1, Role.LR, False, "0.1"),
        (0.8123, Role.VAL_ACCURACY, True, "81.23%"),
        (0.8123, Role.VAL_ACCURACY, False, "0.8123"),  # not a percent unless the schema says so
        (1234567.0, Role.OTHER, False, "1.235e+06"),
        (12.0, Role.OTHER, False, "12"),
        (math.nan, Role.LOSS, False, "NaN"),
        (math.inf, Role.LOSS, False, "Inf"),
        (-math.inf, Role.LOSS, False, "-Inf"),
        (None, Role.LOSS, False, "—"),
    ],
)
def test_format_value(value: float | None, role: Role, percent: bool, text: str) -> None:
    assert format_value(value, role, percent=percent) == text


def test_steps_and_durations() -> None:
    assert format_step(100000) == "100,000"
    assert format_duration(42) == "42s"
    assert format_duration(245) == "4m05s"
    assert format_duration(3 * 3600 + 12 * 60) == "3h12m"
