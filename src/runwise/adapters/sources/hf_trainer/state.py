"""Parsing one `trainer_state.json`: the Trainer's `log_history` becomes columnar series.

The Trainer appends one dict per `log` call to `log_history`, each with the `step` (global step) it was
logged at: training entries (`loss`, `learning_rate`, `grad_norm`, `epoch`), evaluation entries
(`eval_*`) that share steps with training entries, and, when training ends, one summary entry
(`train_runtime`, `train_loss`, `total_flos`, ...) that is not a step: it goes to the run's summary.
The file is rewritten whole at every save, so a reader can meet it half-written: then the whole
entries before the cut are kept (`salvaged`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import orjson
from numpy.typing import NDArray

from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.shared_repr import fields_repr

# Keys only the end-of-training entry carries: that entry summarises the run, it is not a step.
SUMMARY_MARKERS = frozenset({"train_runtime", "train_samples_per_second", "train_steps_per_second"})
# Trainer settings the state file records beside the history: part of the run's config.
SETTING_KEYS = ("train_batch_size", "num_train_epochs", "max_steps", "logging_steps", "eval_steps", "save_steps")
_LOG_HISTORY = re.compile(rb'"log_history"\s*:\s*\[')
_GLOBAL_STEP = re.compile(rb'"global_step"\s*:\s*(\d+)')


class NotTrainerState(ValueError):
    """The bytes are not a Trainer state (another JSON document, or not JSON at all)."""


@attrs.frozen
class TrainerState:
    """What one state file holds, already split into history, settings and summary."""

    __repr__ = fields_repr

    header: Mapping[str, Any]  # every field but log_history
    entries: list[dict[str, Any]]
    salvaged: bool = False  # the file was cut short; entries are those before the cut


def looks_like_state(head: bytes) -> bool:
    """Whether a file's first bytes are those of a Trainer state (content, not the file name, decides).

    `save_to_json` sorts keys, so `global_step` and `log_history` both appear in the first few hundred bytes.
    """
    return head.lstrip()[:1] == b"{" and _GLOBAL_STEP.search(head) is not None and b'"log_history"' in head


def peek_global_step(head: bytes) -> int | None:
    match = _GLOBAL_STEP.search(head)
    return int(match.group(1)) if match else None


def parse_state(data: bytes) -> TrainerState:
    """The state in `data`; a file cut short keeps its whole entries. Raises NotTrainerState."""
    document = _loads(data)
    if document is None:
        return _salvage(data)
    if not isinstance(document, dict) or not isinstance(document.get("log_history"), list):
        raise NotTrainerState("a JSON document without a log_history list")
    entries = [e for e in document["log_history"] if isinstance(e, dict)]
    header = {k: v for k, v in document.items() if k != "log_history"}
    return TrainerState(header, entries)


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:  # Python's json writes NaN and Infinity, which only Python's json reads back
        return json.loads(data.decode("utf-8", errors="strict"))
    except (ValueError, RecursionError):
        return None


def _salvage(data: bytes) -> TrainerState:
    """Entries of a half-written state, up to the last whole one."""
    match = _LOG_HISTORY.search(data[:65536])
    if match is None:
        raise NotTrainerState("not JSON, and no log_history in it")
    try:
        text = data[match.end() :].decode("utf-8", errors="ignore")
    except MemoryError as exc:  # pragma: no cover - a file too large to hold twice
        raise NotTrainerState("too large to salvage") from exc
    decoder = json.JSONDecoder()
    entries: list[dict[str, Any]] = []
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= end or text[pos] != "{":
            break
        try:
            entry, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            break
        if isinstance(entry, dict):
            entries.append(entry)
    header: dict[str, Any] = {}
    step = peek_global_step(data[: match.start()])
    if step is not None:
        header["global_step"] = step
    return TrainerState(header, entries, salvaged=True)


def is_summary_entry(entry: Mapping[str, Any]) -> bool:
    return not SUMMARY_MARKERS.isdisjoint(entry)


@attrs.frozen
class History:
    """The state's series, the end-of-training summary and how many entries were passed over."""

    __repr__ = fields_repr

    series: dict[str, MetricSeries]
    summary: dict[str, float]
    skipped: int


def history(entries: list[dict[str, Any]]) -> History:
    """Per-key series: each key keeps the steps it was logged at (eval keys are sparse).

    Entries are grouped by their key set first (training entries all look alike, so do evaluation
    entries), and each key of a group becomes one numpy column in a single C-level pass: ~10x
    faster than a Python loop over every value on a 100k-step state (bench/bench_framework_logs.py).
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for entry in entries:
        shape = tuple(entry)
        group = groups.get(shape)
        if group is None:
            groups[shape] = [entry]
        else:
            group.append(entry)
    columns: dict[str, tuple[list[NDArray[np.int64]], list[Any]]] = {}
    summary: dict[str, float] = {}
    skipped = 0
    for shape, group in groups.items():
        if not SUMMARY_MARKERS.isdisjoint(shape):
            for entry in group:
                summary.update((k, _float(v)) for k, v in entry.items() if _is_number(v) and k != "step")
            continue
        steps: list[Any] = [e.get("step") for e in group]
        if not _all_kinds(steps, _INT_ONLY):
            keep = [type(step) is int for step in steps]
            skipped += keep.count(False)
            group = [e for e, k in zip(group, keep) if k]
            steps = [step for step, k in zip(steps, keep) if k]
        if not group:
            continue
        group_steps = np.asarray(steps, dtype=np.int64)  # once per group, shared by its keys
        for key in shape:
            if key == "step":
                continue
            values: list[Any] = [e[key] for e in group]
            key_steps = group_steps
            if not _all_kinds(values, _NUMBER_KINDS):
                keep = [_is_number(v) for v in values]
                values = [_float(v) for v, k in zip(values, keep) if k]
                key_steps = group_steps[np.array(keep, dtype=bool)]
            if values:
                column = columns.setdefault(key, ([], []))
                column[0].append(key_steps)
                column[1].append(values)
    series = {key: _column(key, parts[0], parts[1]) for key, parts in columns.items()}
    return History(series, summary, skipped)


_INT_ONLY = frozenset({int})
_NUMBER_KINDS = frozenset({int, float})


def _all_kinds(values: list[Any], kinds: frozenset[type]) -> bool:
    return set(map(type, values)) <= kinds


def _column(key: str, step_parts: list[NDArray[np.int64]], value_parts: list[list[Any]]) -> MetricSeries:
    steps = np.concatenate(step_parts)
    try:
        values = np.concatenate([np.asarray(p, dtype=np.float64) for p in value_parts])
    except OverflowError:  # an integer too large for a float somewhere in the column
        values = np.array([_float(v) for part in value_parts for v in part], dtype=np.float64)
    return sorted_series(key, steps, values)


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is float or kind is int
