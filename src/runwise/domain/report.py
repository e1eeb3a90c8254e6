"""A report of one or more runs: everything a person reads about them on one page, charts included."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.chart import Chart
from runwise.domain.labels import NO_LABELS, KeyLabels
from runwise.domain.shared_repr import fields_repr
from runwise.domain.summary import RunSummary


@attrs.frozen
class RunReport:
    """One run's part of a report: its summary with every anomaly, health, lr analysis and config."""

    __repr__ = fields_repr

    summary: RunSummary  # headline, every key metric's digest, every anomaly episode, recommendations, warnings
    health: str | None  # healthy, warning or critical (None without an analysis)
    finding: str
    lr: LrAnalysis | None
    config: Mapping[str, Any]


@attrs.frozen
class Report:
    """The runs' parts and the charts that show them together."""

    __repr__ = fields_repr

    title: str
    runs: tuple[RunReport, ...]
    charts: tuple[Chart, ...]
    version: str = ""
    labels: KeyLabels = NO_LABELS  # the schema's display names, for every key the report shows
