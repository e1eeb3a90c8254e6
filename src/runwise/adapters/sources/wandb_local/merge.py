"""One run from the folders of its sessions (a run resumed under the same id), oldest first.

Later sessions win: a step logged again after a resume keeps its newer value, and summary and
config entries of the newest session replace older ones. Side files count below the `.wandb`
file of the same folder.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from runwise.adapters.sources.wandb_local.reader import WandbFile
from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.shared_repr import fields_repr


@attrs.frozen
class Part:
    """What one run folder gave."""

    __repr__ = fields_repr

    file: WandbFile | None
    side_series: dict[str, MetricSeries] | None
    side_summary: dict[str, Any]
    side_config: dict[str, Any]
    warnings: tuple[str, ...]


@attrs.frozen
class Merged:
    __repr__ = fields_repr

    series: dict[str, MetricSeries]
    summary: dict[str, Any]
    config: dict[str, Any]
    last_step: int | None
    runtime_s: float | None
    console_tail: str
    warnings: tuple[str, ...]


def merge_parts(parts: list[Part]) -> Merged:
    all_series = [p.file.series if p.file is not None else (p.side_series or {}) for p in parts]
    series = all_series[0] if len(all_series) == 1 else _merge_series(all_series)
    summary: dict[str, Any] = {}
    config: dict[str, Any] = {}
    runtime_s = None
    console_tail = ""
    fallback_step = None
    for part in parts:
        summary.update(part.side_summary)
        config.update(part.side_config)
        if part.file is not None:
            summary.update(part.file.summary)
            config.update({k: v for k, v in part.file.meta.config.items() if k != "_wandb"})
            runtime_s = part.file.runtime_s if part.file.runtime_s is not None else runtime_s
            console_tail = part.file.console_tail or console_tail
            fallback_step = part.file.last_step if part.file.last_step is not None else fallback_step
    last_step = max((s.last_step for s in series.values() if s.last_step is not None), default=fallback_step)
    warnings = tuple(w for p in parts for w in p.warnings)
    return Merged(series, summary, config, last_step, runtime_s, console_tail, warnings)


def _merge_series(parts: list[dict[str, MetricSeries]]) -> dict[str, MetricSeries]:
    keys = sorted({k for part in parts for k in part})
    out = {}
    for key in keys:
        pieces = [part[key] for part in parts if key in part]
        if len(pieces) == 1:
            out[key] = pieces[0]
            continue
        walls = [p.wall_time for p in pieces if p.wall_time is not None]
        wall = np.concatenate(walls) if len(walls) == len(pieces) else None
        out[key] = sorted_series(
            key,
            np.concatenate([p.steps for p in pieces]),
            np.concatenate([p.values for p in pieces]),
            wall,
        )
    return out
