"""A metric schema: the user's word on roles, directions and display, over name heuristics."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

import attrs

from runwise.domain.roles import Role, higher_is_better, infer_role
from runwise.domain.shared_repr import fields_repr


def _matches(key: str, patterns: tuple[str, ...]) -> bool:
    return any(key == p or fnmatchcase(key, p) for p in patterns)


@attrs.frozen
class MetricSchema:
    """Which key is the loss, which are validation, which are higher-is-better, how to show them."""

    __repr__ = fields_repr

    loss: tuple[str, ...] = ()
    validation: tuple[str, ...] = ()
    higher_is_better: tuple[str, ...] = ()
    lower_is_better: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()  # values in [0, 1] to be shown as a percent
    lr: tuple[str, ...] = ()
    grad_norm: tuple[str, ...] = ()
    throughput: tuple[str, ...] = ()
    display_names: Mapping[str, str] = attrs.field(factory=dict)
    groups: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    thresholds: Mapping[str, float] = attrs.field(factory=dict)
    # roles are asked for many times per key (ranking, digests, detectors): remembered per schema
    _roles: dict[str, Role] = attrs.field(factory=dict, init=False, eq=False, repr=False, hash=False)

    def role(self, key: str) -> Role:
        """The schema's role for a key, else the name heuristic's."""
        known = self._roles.get(key)
        if known is None:
            known = self._roles[key] = self._role(key)
        return known

    def _role(self, key: str) -> Role:
        if _matches(key, self.lr):
            return Role.LR
        if _matches(key, self.grad_norm):
            return Role.GRAD_NORM
        if _matches(key, self.throughput):
            return Role.THROUGHPUT
        is_val = _matches(key, self.validation)
        if _matches(key, self.loss):
            return Role.VAL_LOSS if is_val else Role.LOSS
        inferred = infer_role(key)
        if _matches(key, self.higher_is_better):
            return Role.VAL_ACCURACY if is_val or inferred in (Role.VAL_LOSS, Role.VAL_ACCURACY) else Role.ACCURACY
        if _matches(key, self.lower_is_better):
            return Role.VAL_LOSS if is_val or inferred in (Role.VAL_LOSS, Role.VAL_ACCURACY) else Role.LOSS
        if is_val:
            if inferred in (Role.ACCURACY, Role.VAL_ACCURACY):
                return Role.VAL_ACCURACY
            return Role.VAL_LOSS
        return inferred

    def direction(self, key: str) -> bool | None:
        """True when higher is better, False when lower is, None when the metric has no direction."""
        if _matches(key, self.higher_is_better):
            return True
        if _matches(key, self.lower_is_better):
            return False
        return higher_is_better(self.role(key))

    def is_percent(self, key: str) -> bool:
        return _matches(key, self.percent)

    def display(self, key: str) -> str:
        return self.display_names.get(key, key)

    def threshold(self, name: str, default: float) -> float:
        return float(self.thresholds.get(name, default))


DEFAULT_SCHEMA = MetricSchema()
