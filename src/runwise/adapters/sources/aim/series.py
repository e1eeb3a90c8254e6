"""Every point of a run's metric traces, read column by column from its sequence chunk.

Aim 3.x keeps a trace as columns `step`, `val`, `time` and `epoch` under
`seqs/v2/chunks/<hash>/<context id>/<name>/`, each entry keyed by a hash of its step: key order is
hash order, not step order. The step and value columns list the same keys in the same order, so
reading each column's values in one run (no per-key Python work) and sorting by step afterwards
rebuilds the series. The `time` column is not read: it would add half again to the cost
(bench/bench_aim.py) and a run's runtime comes from its creation and end times. The per-key path is kept for anything irregular (a column cut short by a
live writer, older layouts without `v2`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.aim.encoding import FLOAT, INT, decode_path, decode_value, encode_path
from runwise.adapters.sources.aim.meta import Trace
from runwise.adapters.sources.aim.rocks import Chunk
from runwise.domain.model import MetricSeries, sorted_series

_SCALAR = np.dtype([("kind", "u1"), ("payload", "<u8")])


def _numbers(values: list[bytes], *, as_int: bool) -> NDArray[np.float64] | NDArray[np.int64]:
    """Decode 9-byte int64/float64 encodings in bulk; anything else becomes NaN (or 0 for steps)."""
    raw = np.frombuffer(b"".join(values), dtype=_SCALAR)
    kind, payload = raw["kind"], raw["payload"]
    as_float = payload.view(np.float64)
    as_int64 = payload.view(np.int64)
    if as_int:
        return np.where(kind == INT, as_int64, np.where(kind == FLOAT, as_float.astype(np.int64, copy=False), 0))
    out = np.where(kind == FLOAT, as_float, np.nan)
    ints = kind == INT
    if ints.any():
        out[ints] = as_int64[ints].astype(np.float64)
    return out


StepOrders = dict[tuple[int, int], NDArray[np.intp]]


def read_trace(
    chunk: Chunk, run_hash: str, trace: Trace, key: str, orders: StepOrders | None = None
) -> tuple[MetricSeries, str | None]:
    """The full series of one trace, and a note when it had to be read the slow way.

    Key order depends only on the steps' hashes, so traces logged at exactly the same steps list
    them in the same order. A trace whose steps are every integer from its first to its last step
    (the dense case, and the costly one) reuses the sort order found for an earlier trace with
    the same range from `orders` instead of reading its own step column.
    """
    prefix = encode_path("seqs", "v2", "chunks", run_hash, trace.context_id, trace.name)
    first, last = trace.first_step, trace.last_step
    expected = last - first + 1 if first is not None and last is not None and last >= first else None
    values = chunk.scalar_run(prefix + encode_path("val"), expected)
    dense = first is not None and last is not None and len(values) == last - first + 1
    span = (first or 0, last or 0)
    if dense and orders is not None and span in orders:
        order = orders[span]
        steps_sorted = np.arange(span[0], span[1] + 1, dtype=np.int64)
        return MetricSeries(key, steps_sorted, _numbers(values, as_int=False)[order]), None
    steps = chunk.scalar_run(prefix + encode_path("step"), len(values) or None)
    if not steps or len(steps) != len(values):
        return _by_key(chunk, prefix, run_hash, trace, key)
    steps_array = _numbers(steps, as_int=True)
    if dense and orders is not None:
        order = np.argsort(steps_array, kind="stable")
        if np.array_equal(steps_array[order], np.arange(span[0], span[1] + 1)):
            orders[span] = order
    return sorted_series(key, steps_array, _numbers(values, as_int=False)), None


def _by_key(chunk: Chunk, prefix: bytes, run_hash: str, trace: Trace, key: str) -> tuple[MetricSeries, str | None]:
    """Join columns entry by entry (a trace cut mid-write, or Aim's pre-v2 layout keyed by step)."""
    items = list(chunk.items(prefix))
    if not items:
        legacy = encode_path("seqs", "chunks", run_hash, trace.context_id, trace.name)
        items = list(chunk.items(legacy))
        prefix = legacy
    columns: dict[str, dict[int, object]] = {}
    for raw_key, raw_value in items:
        path = decode_path(raw_key[len(prefix) :])
        if len(path) != 2 or not isinstance(path[0], str) or not isinstance(path[1], int):
            continue
        columns.setdefault(path[0], {})[path[1]] = decode_value(raw_value)
    value_col = columns.get("val", {})
    step_col = columns.get("step")
    time_col = columns.get("time", {})
    points = []
    for entry, value in value_col.items():
        step = step_col.get(entry) if step_col is not None else entry  # pre-v2: the key is the step
        if not isinstance(step, int) or isinstance(step, bool) or not _is_number(value):
            continue
        wall = time_col.get(entry)
        points.append((step, float(value), float(wall) if _is_number(wall) else np.nan))  # type: ignore[arg-type]
    note = None
    if step_col is not None and len(step_col) != len(value_col):
        note = f"{key}: {abs(len(step_col) - len(value_col))} points half-written (run still being written?)"
    if not points:
        return MetricSeries(key, [], []), note
    steps, values, walls = zip(*points)
    return sorted_series(key, steps, values, walls), note


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def read_traces(
    chunk: Chunk, run_hash: str, traces: Iterable[tuple[Trace, str]]
) -> tuple[dict[str, MetricSeries], list[str]]:
    """Every requested trace as a series by key, plus notes about anything read the slow way."""
    series: dict[str, MetricSeries] = {}
    notes: list[str] = []
    orders: StepOrders = {}
    for trace, key in traces:
        got, note = read_trace(chunk, run_hash, trace, key, orders)
        series[key] = got
        if note:
            notes.append(note)
    return series, notes
