"""Comparing runs: side by side at matched steps, config diffs, and the best run for a metric."""

from __future__ import annotations

from runwise.domain.compare.best import BestRun, DirectionUnknown, Mode, RankedRun, best_run, metric_direction, score
from runwise.domain.compare.comparison import (
    Comparison,
    KeyComparison,
    KeyValue,
    RunColumn,
    Verdict,
    compare_runs,
    key_group,
    value_at,
)
from runwise.domain.compare.config_diff import (
    ConfigDiff,
    ConfigDiffEntry,
    config_equal,
    diff_configs,
    flatten_config,
)
from runwise.domain.compare.filters import key_matches, parse_filter

__all__ = [
    "BestRun",
    "Comparison",
    "ConfigDiff",
    "ConfigDiffEntry",
    "DirectionUnknown",
    "KeyComparison",
    "KeyValue",
    "Mode",
    "RankedRun",
    "RunColumn",
    "Verdict",
    "best_run",
    "compare_runs",
    "config_equal",
    "diff_configs",
    "flatten_config",
    "key_group",
    "key_matches",
    "metric_direction",
    "parse_filter",
    "score",
    "value_at",
]
