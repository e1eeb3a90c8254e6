"""A whole text log to series: metrics lines by the documented patterns, everything else passed over.

Steps: the `iter`/`iteration`/`step` counter when the log has one (nanoGPT's two line kinds share it);
`epoch` lines in such a log are placed at the last step seen before them; a log with only `epoch`
lines uses the epoch as the step. A last line without its newline is still being written and waits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.text_logs.patterns import COUNTER, parse_line, parse_override, parse_pairs
from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.shared_repr import fields_repr

HEAD_BYTES = 65536
MIN_METRIC_LINES = 2
_STEP_COUNTERS = frozenset({"iter", "iteration", "step"})


def looks_like_text_log(head: bytes) -> bool:
    """Unambiguous: text, not JSON, and at least two metrics lines (one when it is the only line)."""
    if not head or b"\0" in head:
        return False
    text = head.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines()[:2000] if line.strip()]
    if not lines or lines[0].lstrip().startswith(("{", "[")):
        return False
    found = 0
    for line in lines:
        if parse_line(line) is not None:
            found += 1
            if found >= MIN_METRIC_LINES:
                return True
    return found == 1 and len(lines) == 1


@attrs.frozen
class TextLog:
    """What a text log holds."""

    __repr__ = fields_repr

    series: dict[str, MetricSeries]
    config: dict[str, Any]
    metric_lines: int
    partial_tail: bool


def read_text_log(data: bytes) -> TextLog:
    """Series and config of a whole log (never raises on odd content: odd lines are not metrics lines).

    The structures of the metrics lines are learnt from the head (`_plan`); each becomes one anchored
    pattern run over the whole text, its numbers converted column by column by numpy: no Python work per
    line (bench/bench_framework_logs.py). Lines that no learnt structure covers take the full parser.
    """
    partial = bool(data) and not data.endswith(b"\n")
    text = data.decode("utf-8", errors="replace")
    if partial:
        text = text[: text.rfind("\n") + 1]
    plans = _learn(text)
    kinds = {plan.kind for plan in plans}
    if "epoch" in kinds and kinds & _STEP_COUNTERS:
        plans = []  # epoch lines are placed by the step lines before them: the line order matters, read in order
    columns: dict[str, list[tuple[NDArray[np.int64], NDArray[np.float64]]]] = {}
    rest = text
    lines = 0
    for plan in plans:
        found = plan.template.findall(rest)
        if not found:
            continue
        rest = plan.template.sub("", rest)
        table = list(zip(*found))
        try:  # numpy parses a tuple of number strings straight into numbers: 5x faster than via a str array
            steps = np.asarray(table[plan.counter], dtype=np.int64)
            for key, index in zip(plan.keys, plan.values):
                columns.setdefault(key, []).append((steps, np.asarray(table[index], dtype=np.float64)))
        except (ValueError, OverflowError):
            return _read_in_order(text, partial)
        lines += len(found)
    hits, config = _parse_lines(rest)
    for key, series in _series(hits).items():
        columns.setdefault(key, []).append((series.steps, series.values))
    out = {
        key: sorted_series(key, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        for key, parts in columns.items()
    }
    return TextLog(out, config, lines + len(hits), partial)


def _read_in_order(text: str, partial: bool) -> TextLog:
    hits, config = _parse_lines(text)
    return TextLog(_series(hits), config, len(hits), partial)


def _parse_lines(text: str) -> tuple[list[tuple[str, int, Sequence[str], Sequence[float]]], dict[str, Any]]:
    """Every line through the full parser, in order: metrics lines and nanoGPT's config overrides."""
    hits: list[tuple[str, int, Sequence[str], Sequence[float]]] = []
    config: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line:
            continue
        hit = parse_line(line)
        if hit is not None:
            hits.append((hit[0], hit[1], tuple(hit[2]), tuple(hit[2].values())))
        elif line.startswith("Overriding: "):
            override = parse_override(line)
            if override is not None:
                config[override[0]] = override[1]
    return hits, config


_SHAPE = str.maketrans("", "", "0123456789.+-")
_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|inf|Inf|infinity|Infinity)"
_VALUE_TOKEN = re.compile(rf"(?:^|(?<=[\s:=]))({_NUMBER})(?=ms\b|s\b|%|[\s,|;/:]|$)")
MAX_PLANS = 32


@attrs.frozen
class _Plan:
    """One structure of metrics line: its pattern, and which of its numbers are the counter and the values."""

    __repr__ = fields_repr

    kind: str
    keys: tuple[str, ...]
    template: re.Pattern[str]
    counter: int
    values: tuple[int, ...]


def _learn(text: str) -> list[_Plan]:
    """The structures of the metrics lines in the head: lines differing only in digits, signs and dots share one."""
    plans: dict[str, _Plan | None] = {}
    for line in text[: 4 * HEAD_BYTES].split("\n")[:-1]:
        shape = line.translate(_SHAPE)
        if shape not in plans:
            plans[shape] = _plan(line)
            if len(plans) > 4 * MAX_PLANS:
                break
    return [plan for plan in plans.values() if plan is not None][:MAX_PLANS]


def _plan(line: str) -> _Plan | None:
    """The plan of a metrics line (None for other lines, or where tokens and pairs do not line up)."""
    match = COUNTER.search(line)
    if match is None:
        return None
    values = parse_pairs(match.group("rest"))
    if not values:
        return None
    tokens = list(_VALUE_TOKEN.finditer(line))
    counter = next((i for i, m in enumerate(tokens) if m.start(1) == match.start("n")), None)
    after = [i for i, m in enumerate(tokens) if m.start(1) >= match.start("rest")]
    if counter is None or len(after) != len(values):
        return None
    for i, expected in zip(after, values.values()):
        got = float(tokens[i].group(1))
        if not (got == expected or (got != got and expected != expected)):
            return None
    parts, last = ["^"], 0
    for i, token in enumerate(tokens):
        parts.append(re.escape(line[last : token.start(1)]))
        parts.append(r"(\d+)" if i == counter else f"({_NUMBER})")
        last = token.end(1)
    parts.append(re.escape(line[last:]) + "$")
    template = re.compile("".join(parts), re.MULTILINE)
    return _Plan(match.group("counter").lower(), tuple(values), template, counter, tuple(after))


def _series(rows: Sequence[tuple[str, int, Sequence[str], Sequence[float]]]) -> dict[str, MetricSeries]:
    has_steps = any(kind in _STEP_COUNTERS for kind, _n, _k, _v in rows)
    steps: dict[str, list[int]] = {}
    values: dict[str, list[float]] = {}
    last_step = 0
    for kind, number, keys, row in rows:
        if has_steps and kind == "epoch":
            step = last_step
            keys, row = ("epoch", *keys), (float(number), *row)
        else:
            step = number
            last_step = number
        for key, value in zip(keys, row):
            if key in steps:
                steps[key].append(step)
                values[key].append(value)
            else:
                steps[key] = [step]
                values[key] = [value]
    return {
        key: sorted_series(key, np.array(steps[key], dtype=np.int64), np.array(values[key], dtype=np.float64))
        for key in steps
    }
