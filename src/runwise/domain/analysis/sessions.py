"""Training sessions appended to one log: a progress counter (epoch, step) that goes back marks a new session.

Keras' CSVLogger with `append=True`, a script re-run with the same log file, or a resumed job that restarts its
epoch counter all leave one file holding several sessions. When the log has no step of its own, readers number
its records, so the metrics run on while the counter restarts; judged as one curve, the second session's first
losses look like a blow-up. Each session is judged on its own instead.
"""

from __future__ import annotations

import numpy as np

from runwise.domain.model import MetricSeries, Run

_EPOCHS = ("epoch", "train/epoch")
_COUNTERS = ("epoch", "step", "global_step", "iteration", "iter", "_step", "trainer/global_step", "train/epoch")


def _restarts(series: MetricSeries, *, cap: bool) -> list[int]:
    """Steps (of the run) at which the counter's value went below the value before it."""
    values = series.values
    finite = np.isfinite(values)
    if finite.sum() < 3:
        return []
    steps, v = series.steps[finite], values[finite]
    back = np.flatnonzero(v[1:] < v[:-1] - 1e-9) + 1
    # a step counter that goes back often is not run-wide (a batch index within the epoch); an epoch counter
    # never goes back within a session, however many sessions there are
    if back.size == 0 or (cap and back.size > max(3, v.size // 20)):
        return []
    lengths = np.diff(np.concatenate([[0], back, [v.size]]))
    if lengths.min() < 2:
        return []  # sessions of one point: a noisy value, not a counter
    return [int(steps[i]) for i in back]


def session_starts(run: Run) -> list[int]:
    """First steps of the second and later sessions (empty for a log of one session)."""
    for key in _COUNTERS:
        series = run.series.get(key)
        if series is not None and len(series) >= 3:
            starts = _restarts(series, cap=key not in _EPOCHS)
            if starts:
                return starts
    return []


def sessions(run: Run) -> list[Run]:
    """The run cut into its sessions (the run itself when it holds one)."""
    starts = session_starts(run)
    if not starts:
        return [run]
    bounds = [None, *starts]
    out = []
    for i, lo in enumerate(bounds):
        hi = starts[i] - 1 if i < len(starts) else None
        cut = {k: s.between(lo, hi) for k, s in run.series.items()}
        out.append(Run(run.info, run.config, run.summary, cut, run.warnings, run.partial_of))
    return out
