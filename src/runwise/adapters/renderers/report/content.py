"""The report's facts as plain strings, shared by its HTML and markdown forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runwise.domain.analysis.lr import LrAnalysis
from runwise.domain.git_refs import git_words
from runwise.domain.labels import NO_LABELS, KeyLabels
from runwise.domain.numbers import format_duration, format_step, format_value
from runwise.domain.report import RunReport
from runwise.domain.shared_repr import fields_repr
from runwise.domain.summary import MetricDigest

CONFIG_VALUE_CHARS = 200


@attrs.frozen
class MetricRow:
    __repr__ = fields_repr

    key: str
    last: str
    best: str
    trend: str
    count: str
    nonfinite: str
    sparkline: str


@attrs.frozen
class AnomalyRow:
    __repr__ = fields_repr

    severity: str
    kind: str
    metric: str
    steps: str
    peak: str
    message: str


@attrs.frozen
class LrText:
    __repr__ = fields_repr

    text: str
    changes: tuple[str, ...]


def label(part: RunReport) -> str:
    return part.summary.run.name


def meta(part: RunReport) -> str:
    """Source, state, last step, runtime and where the run lives, on one line."""
    info = part.summary.run
    bits = [info.qualified_id, info.state]
    if info.last_step is not None:
        bits.append(f"step {format_step(info.last_step)}")
    if part.summary.step is not None:
        bits.append(f"as of step {format_step(part.summary.step)}")
    if info.runtime_s:
        bits.append(format_duration(info.runtime_s))
    if info.project:
        bits.append(f"project {info.project}")
    code = git_words(info.git)
    if code:
        bits.append(code)
    return " · ".join(bits)


def metric_row(d: MetricDigest, labels: KeyLabels = NO_LABELS) -> MetricRow:
    pct = d.percent
    best = "—" if d.best is None else f"{format_value(d.best, d.role, percent=pct)} @ {format_step(d.best_step)}"
    last = "—" if d.last is None else f"{format_value(d.last, d.role, percent=pct)} @ {format_step(d.last_step)}"
    return MetricRow(
        labels(d.key), last, best, d.trend, f"{d.count:,}", f"{d.nonfinite:,}" if d.nonfinite else "", d.sparkline
    )


def anomaly_rows(part: RunReport, labels: KeyLabels = NO_LABELS) -> list[AnomalyRow]:
    out = []
    for a in part.summary.anomalies:
        steps = (
            format_step(a.start_step)
            if a.start_step == a.end_step
            else f"{format_step(a.start_step)}–{format_step(a.end_step)}"
        )
        peak = format_step(a.peak_step)
        out.append(AnomalyRow(a.severity, a.kind, labels(a.metric), steps, peak, labels.prose(a.message)))
    return out


def lr_text(lr: LrAnalysis | None, labels: KeyLabels = NO_LABELS) -> LrText | None:
    if lr is None:
        return None
    changes = []
    for c in lr.changes:
        move = f"{format_value(c.lr_before)} → {format_value(c.lr_after)}"
        loss = "" if c.loss_change is None else f"; loss {c.loss_change:+.0%}"
        changes.append(f"step {format_step(c.step)}: {c.kind.replace('_', ' ')} ({move}{loss})")
    return LrText(labels.prose(lr.describe()), tuple(changes))


def config_rows(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Nested config flattened to dotted keys, values shortened."""
    rows = []
    for key, value in sorted(_flatten(config).items()):
        text = value if isinstance(value, str) else repr(value)
        rows.append((key, text if len(text) <= CONFIG_VALUE_CHARS else text[: CONFIG_VALUE_CHARS - 1] + "…"))
    return rows


def _flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
