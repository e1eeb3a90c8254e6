"""nan_inf: the first non-finite value of a metric and how many there are, as one episode per metric."""

from __future__ import annotations

import numpy as np

from runwise.domain.analysis.advice import blow_up
from runwise.domain.analysis.registry import Advice, Detector, Scope
from runwise.domain.anomaly import Anomaly, Severity
from runwise.domain.model import MetricSeries
from runwise.domain.numbers import format_step, format_value
from runwise.domain.roles import Role

_TRAINING = (Role.LOSS, Role.VAL_LOSS, Role.ACCURACY, Role.VAL_ACCURACY, Role.LR, Role.GRAD_NORM)


def _severity(role: Role, persists: bool) -> Severity:
    """A training metric that ends non-finite means the run is broken.

    Intermittent Inf/NaN grad norms are what mixed-precision loss scaling logs on skipped steps, so they are info.
    """
    if persists:
        return "critical" if role in _TRAINING else "warning"
    if role in (Role.LOSS, Role.VAL_LOSS, Role.LR):
        return "warning"
    return "info"


def _label(value: float) -> str:
    return "NaN" if np.isnan(value) else ("Inf" if value > 0 else "-Inf")


def detect_nan_inf(series: MetricSeries, role: Role = Role.OTHER) -> list[Anomaly]:
    """One anomaly for a metric with any NaN/±Inf: first step, count, and whether it recovered."""
    values = series.values
    bad = ~np.isfinite(values)
    count = int(np.count_nonzero(bad))
    if count == 0:
        return []
    idx = np.flatnonzero(bad)
    first, last = int(idx[0]), int(idx[-1])
    persists = bool(bad[-1])
    first_step, last_step = int(series.steps[first]), int(series.steps[last])
    if count == values.size:
        text = f"{series.key} has no finite value ({count:,} point{'s' if count > 1 else ''})"
    elif persists:
        good = np.flatnonzero(~bad)
        tail = int(good[-1]) + 1
        tail_label = _label(float(values[tail]))
        earlier = f", first at step {format_step(first_step)}" if tail != first else ""
        text = (
            f"{tail_label} in {series.key} from step {format_step(int(series.steps[tail]))} to the end "
            f"({count:,} points{earlier}); last finite {format_value(float(values[good[-1]]), role)} "
            f"at step {format_step(int(series.steps[good[-1]]))}"
        )
    else:
        kinds = "/".join(sorted({_label(float(v)) for v in values[idx[:1000]]}))
        where = (
            f"step {format_step(first_step)}"
            if count == 1
            else f"steps {format_step(first_step)}–{format_step(last_step)}"
        )
        text = f"{kinds} in {series.key} at {count:,} point{'s' if count > 1 else ''} ({where}), finite again after"
    return [
        Anomaly(
            kind="nan_inf",
            metric=series.key,
            start_step=first_step,
            end_step=last_step,
            peak_step=first_step,
            severity=_severity(role, persists),
            message=text,
            value=None,
        )
    ]


def find(scope: Scope) -> list[Anomaly]:
    """Every logged metric gets the check, whatever its role."""
    out: list[Anomaly] = []
    for key, s in scope.series.items():
        if len(s):
            out += detect_nan_inf(s, scope.role(key))
    return out


def advise(a: Anomaly, c: Advice) -> str | None:
    s = format_step(a.start_step)
    if "no finite value" in a.message:
        return f"Check how {a.metric} is computed and logged: it was never finite (from step {s})."
    if a.severity == "warning":
        span = s if a.end_step == a.start_step else f"{s}–{format_step(a.end_step)}"
        return f"Check the batches and inputs at steps {span}: {a.metric} was non-finite there, then finite again."
    if a.severity == "info":
        return None
    if a.metric in (c.keys.train_loss, c.keys.val_loss):
        return blow_up(a, c.run, c.lr, c.anomalies)
    return f"Find what makes {a.metric} non-finite from step {s} (a log or division of zero, an overflow)."


DETECTOR = Detector(
    kind="nan_inf",
    priority=0,
    applies_to=tuple(Role),
    thresholds=(),
    needs="one point",
    find=find,
    advise=advise,
    per_session=False,  # one episode per metric over the whole log
)
