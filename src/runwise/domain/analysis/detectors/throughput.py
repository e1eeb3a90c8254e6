"""throughput_drop: throughput falling well below the best sustained level reached so far.

Judged on block medians so single slow steps (checkpoint saves, evaluation pauses, a slow batch) do not count, and
against the running best block so the slow start of a run (compilation, warm caches) is not a drop.
"""

from __future__ import annotations

import numpy as np

from runwise.domain.analysis.detectors.common import fmt, percent, step
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.analysis.thresholds import MIN_POINTS, Threshold, Thresholds
from runwise.domain.analysis.windows import block_medians, block_size, finite_points, runs
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.medians import median
from runwise.domain.model import MetricSeries
from runwise.domain.roles import Role
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

THRESHOLDS = (
    MIN_POINTS,
    Threshold("throughput_drop", 0.30, "sustained throughput drop, as a fraction of the best sustained throughput"),
)


def detect_throughput_drop(series: MetricSeries, schema: MetricSchema = DEFAULT_SCHEMA) -> list[Anomaly]:
    """Episodes of blocks whose median throughput is below (1 - `throughput_drop`) × the best block before."""
    th = Thresholds.from_schema(schema, THRESHOLDS)
    steps, values = finite_points(series)
    n = values.size
    if n < th.min_points:
        return []
    size = block_size(n, 32, 5, 4096)
    med = block_medians(values, size)
    if med.size < 3:
        return []
    best_before = np.concatenate([[np.nan], np.maximum.accumulate(med)[:-1]])
    keep = 1.0 - th.throughput_drop
    with np.errstate(invalid="ignore"):
        low = (best_before > 0) & (med < keep * best_before)
    starts, ends = runs(low)
    out: list[Anomaly] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        ref = float(best_before[s])
        lo, hi = max(0, (s - 1) * size), min(n, (e + 1) * size)
        below = values[lo:hi] < keep * ref
        pairs = np.flatnonzero(below[:-1] & below[1:])
        onset = lo + (int(pairs[0]) if pairs.size else (s * size - lo))
        end_i = hi - 1
        lasting = e - s + 1
        to_end = e == med.size - 1
        # a last block of a few points is one slow step at the end (a final save), not a drop that lasted
        whole = not to_end or n - s * size >= size
        level = float(median(med[s : e + 1]))
        severity: Severity = "warning" if lasting >= 2 or (to_end and whole) else "info"
        until = "through the end of the run" if to_end else f"until step {step(steps[min(end_i + 1, n - 1)])}"
        out.append(
            Anomaly(
                kind="throughput_drop",
                metric=series.key,
                start_step=int(steps[onset]),
                end_step=int(steps[end_i]),
                peak_step=int(steps[s * size + int(np.argmin(values[s * size : min(n, (e + 1) * size)]))]),
                severity=severity,
                message=(
                    f"{series.key} dropped {percent((level - ref) / ref)} from step {step(steps[onset])} "
                    f"({fmt(ref, Role.THROUGHPUT)} → {fmt(level, Role.THROUGHPUT)}) {until}"
                ),
                value=level,
            )
        )
    return out


def find(scope: Scope) -> list[Anomaly]:
    out: list[Anomaly] = []
    for key in scope.keys.throughputs:
        out += detect_throughput_drop(scope.series[key], scope.schema)
    return out


def advise(a: Anomaly, c: Advice) -> str | None:
    if a.severity == "info":
        return None
    return f"Check data loading, I/O and other jobs on the machine from step {step(a.start_step)}: {a.metric} dropped there."


DETECTOR = Detector(
    kind="throughput_drop",
    priority=90,
    applies_to=(Role.THROUGHPUT,),
    thresholds=THRESHOLDS,
    needs="a throughput metric with min_points points",
    find=find,
    advise=advise,
)
