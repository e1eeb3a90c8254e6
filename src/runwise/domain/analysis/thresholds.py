"""Detector thresholds: each detector declares its own, with a default that holds on real runs and a meaning.

Every threshold is relative (a ratio, a fraction of the run, a robust z-score), so results do not change when
values are scaled or steps shifted. The names are the keys of `thresholds` in a schema file; the table of all of
them (`THRESHOLD_DEFAULTS`, the README's table, `runwise init`'s output) is gathered from the detector records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class Threshold:
    """One tunable number of a detector: its schema name, default and what it means (one line, for docs)."""

    __repr__ = fields_repr

    name: str
    default: float
    meaning: str
    minimum: float | None = None  # values below are raised to it (a point count under 3 says nothing)
    integer: bool = False

    def resolve(self, schema: MetricSchema) -> float:
        value = schema.threshold(self.name, self.default)
        if self.minimum is not None:
            value = max(self.minimum, value)
        return float(int(value)) if self.integer else value


# Shared by every detector that judges a curve's shape: below this many points a detector speaks with low
# confidence (info) or, for the few that need a trend at all, not at all.
MIN_POINTS = Threshold(
    "min_points", 20, "below this many points detectors judge point by point and say on how many", minimum=3,
    integer=True,
)  # fmt: skip


@attrs.frozen
class Thresholds:
    """The resolved thresholds of one detector, read as attributes (`th.spike_z`)."""

    __repr__ = fields_repr

    values: Mapping[str, float]

    @classmethod
    def from_schema(cls, schema: MetricSchema, declared: Iterable[Threshold]) -> Thresholds:
        """Schema values where given, defaults elsewhere, for the thresholds a detector declared."""
        return cls({t.name: t.resolve(schema) for t in declared})

    def __getattr__(self, name: str) -> float:
        values = object.__getattribute__(self, "values")
        if name in values:
            return float(values[name])
        raise AttributeError(f"threshold '{name}' is not declared by this detector")


def table(declared: Iterable[Threshold]) -> dict[str, tuple[float, str]]:
    """name → (default, meaning), first declaration wins (a shared threshold is declared by several detectors)."""
    out: dict[str, tuple[float, str]] = {}
    for t in declared:
        out.setdefault(t.name, (t.default, t.meaning))
    return out
