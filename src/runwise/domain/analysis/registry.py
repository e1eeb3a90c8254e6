"""Detectors as records: what each detector finds, on which series, with which thresholds and which advice.

A detector is one module exposing a `DETECTOR` record; `detectors/__init__.py` lists the records, one line each.
The engine (detect.py) runs them in order over a `Scope` (the run, its key roles, the schema), the health check
ranks findings by their record's priority, the recommendations ask the record for advice, and the table of
thresholds (README, `runwise init`) is gathered from the records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from runwise.domain.analysis.keys import KeyRoles
from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.analysis.thresholds import Threshold
from runwise.domain.anomaly import Anomaly, AnomalyKind
from runwise.domain.model import MetricSeries, Run
from runwise.domain.roles import Role
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class Scope:
    """What a detector may look at: the run, the role of each key, the schema, and what was found before it."""

    __repr__ = fields_repr

    run: Run
    keys: KeyRoles
    schema: MetricSchema
    span: tuple[int, int]  # first and last logged step of the run
    lr: LrAnalysis | None = None
    found: Sequence[Anomaly] = ()  # anomalies of the detectors that ran before (for detectors that relate them)

    @property
    def series(self) -> Mapping[str, MetricSeries]:
        return self.run.series

    @property
    def objective(self) -> str | None:
        """The loss every trend detector judges: the training loss, else the validation loss."""
        return self.keys.train_loss or self.keys.val_loss

    @property
    def objective_series(self) -> MetricSeries | None:
        key = self.objective
        return self.series[key] if key is not None else None

    @property
    def objective_higher_is_better(self) -> bool:
        """A schema may declare an objective to maximise."""
        key = self.objective
        return key is not None and self.schema.direction(key) is True

    def role(self, key: str) -> Role:
        return self.keys.roles.get(key, Role.OTHER)


@attrs.frozen
class Advice:
    """What a detector's advice may cite: the run, the key roles, the lr analysis and every anomaly found."""

    __repr__ = fields_repr

    run: Run
    keys: KeyRoles
    lr: LrAnalysis | None
    anomalies: Sequence[Anomaly]


def no_advice(anomaly: Anomaly, context: Advice) -> str | None:
    return None


@attrs.frozen
class Detector:
    """One detector as a record.

    kind: the public Anomaly kind it reports. priority: how fundamental its finding is when several compete for the
    headline (lower first: a NaN before the divergence that led to it, before a spike). applies_to: the roles of
    the series it judges (documentation and tests; the routing itself is in `find`). needs: what it needs to speak,
    in one line (README). stage: 0 for detectors of series, 1 for detectors that relate earlier findings (they
    see `Scope.found`). per_session: False for detectors of the whole run (its state), which must not run once per
    appended session.
    """

    __repr__ = fields_repr

    kind: AnomalyKind
    priority: int
    applies_to: tuple[Role, ...]
    thresholds: tuple[Threshold, ...]
    needs: str
    find: Callable[[Scope], list[Anomaly]]
    advise: Callable[[Anomaly, Advice], str | None] = no_advice
    stage: int = 0
    per_session: bool = True  # run on each training session of a log that holds several (see sessions.py)
