"""neptune 1.x drops NaN and ±Inf: find where a run's values went missing, and put them back.

The client refuses non-finite floats: it stores nothing for that point and warns on stderr
"NeptuneUnsupportedValue: WARNING: A value you're trying to log (`nan`) will be skipped because it's
a non-standard float value ...", which its console capture writes into the run
(`monitoring/<hash>/stderr`). The client warns once per distinct message and process, so a run holds
one line per value kind (`nan`, `inf`, `-inf`) at most, not one per dropped point; a second run in
the same process holds none. A metric that blew up
therefore just stops (or skips points) while the others go on, and read naively the run looks
healthy. Here, only when the client's warning is in the run:

- the slots where a series' own regular interval expects a point that is missing (holes inside the
  series, and the tail of a series that stops more than three intervals and 5% of the run before
  the run's last step) are taken to be the dropped points, and filled with the non-finite value
  the script logged: each slot gets its warning's kind when there are exactly as many warnings as
  slots (every drop was a first of its kind), the one kind when all warnings agree, else NaN;
- a read warning names the series, the steps and what was put back.

So anomaly detection, summaries and rankings see the divergence as they would in any tracker that
stores NaN. Without the client's warning, a series that stops early is only named in a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from runwise.domain.medians import median
from runwise.domain.model import MetricSeries

_DROPPED = re.compile(r"value you're trying to log \(`([^`]*)`\) will be skipped")
_MAX_SLOTS_PER_POINT = 10  # more missing slots than this per logged point: no filling (and no memory blow-up)
_KINDS = {"nan": np.nan, "inf": np.inf, "+inf": np.inf, "-inf": -np.inf, "infinity": np.inf, "-infinity": -np.inf}


def _interval(steps: NDArray[np.int64]) -> int:
    return max(int(median(np.diff(steps))), 1) if steps.size > 1 else 1


def _slots(s: MetricSeries, run_last: int) -> tuple[list[int], bool]:
    """Steps where the series' own interval expects a point that is missing; and whether it stops early."""
    interval = _interval(s.steps)
    diffs = np.diff(s.steps)
    holes = np.flatnonzero((diffs > interval) & (diffs % interval == 0))
    gap = run_last - int(s.steps[-1])
    early = gap > 3 * interval and gap > 0.05 * max(run_last, 1)
    count = int((diffs[holes] // interval - 1).sum()) + (gap // interval if early else 0)
    if count > _MAX_SLOTS_PER_POINT * len(s) + 1000:  # a jump in steps, not points dropped one by one
        return [], early
    slots: list[int] = []
    for i in holes:
        slots.extend(range(int(s.steps[i]) + interval, int(s.steps[i + 1]), interval))
    if early:
        slots.extend(range(int(s.steps[-1]) + interval, run_last + 1, interval))
    return slots, early


def dropped_values(
    series: Mapping[str, MetricSeries], console: Sequence[str]
) -> tuple[dict[str, MetricSeries], list[str]]:
    """The series with dropped points put back (when the client said it dropped some) and the warnings to show."""
    out = dict(series)
    kinds = [m.group(1).lower() for line in console for m in _DROPPED.finditer(line)]
    metrics = {k: s for k, s in series.items() if len(s) and not k.startswith("system/")}
    run_last = max((s.last_step for s in metrics.values() if s.last_step is not None), default=None)
    if run_last is None:
        return out, []
    found = {key: _slots(s, run_last) for key, s in metrics.items()}
    if not kinds:
        return out, [
            f"{key} stops at step {metrics[key].last_step:,} while the run goes on to {run_last:,}"
            for key, (_, early) in sorted(found.items())
            if early
        ]
    shown = ", ".join(dict.fromkeys(kinds))
    notes = [f"the Neptune client dropped non-finite values ({shown}) the script logged: neptune 1.x cannot store them"]
    slots = sorted((step, key) for key, (steps, _) in found.items() for step in steps)
    if not slots:
        return out, notes
    if len(slots) == len(kinds):
        values = [_KINDS.get(k, np.nan) for k in kinds]
    else:
        single = _KINDS.get(kinds[0], np.nan) if len(set(kinds)) == 1 else np.nan
        values = [single] * len(slots)
    by_key: dict[str, tuple[list[int], list[float]]] = {}
    for (step, key), value in zip(slots, values):
        by_key.setdefault(key, ([], []))[0].append(step)
        by_key[key][1].append(value)
    for key, (steps, filled) in sorted(by_key.items()):
        s = out[key]
        order_steps = np.concatenate([s.steps, np.asarray(steps, dtype=np.int64)])
        order = np.argsort(order_steps, kind="stable")
        walls = None if s.wall_time is None else np.concatenate([s.wall_time, np.full(len(steps), np.nan)])[order]
        out[key] = MetricSeries(
            key, order_steps[order], np.concatenate([s.values, np.asarray(filled, dtype=np.float64)])[order], walls
        )
        where = f"step {steps[0]:,}" if len(steps) == 1 else f"steps {steps[0]:,}–{steps[-1]:,}"
        what = ", ".join(dict.fromkeys(str(v).lower() for v in filled))
        notes.append(f"{key}: {len(steps)} dropped value(s) at {where} put back as {what}")
    return out, notes
