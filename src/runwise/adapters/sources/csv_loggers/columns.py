"""String columns to numeric series: empty cells (and Keras' `NA`) are "not logged at this row"; `nan`,
`inf` and `-inf` are values and kept."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from runwise.domain.model import MetricSeries, sorted_series

NOT_LOGGED = frozenset({"", "NA", "None"})


def numbers(column: list[str]) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """(present, values): numpy parses a fully filled column in one C-level pass; gaps take a slower one."""
    try:
        values = np.asarray(column, dtype=np.float64)
        return np.ones(values.size, dtype=bool), values
    except ValueError:
        pass
    cells = np.array(column, dtype=str)
    filled = (cells != "") & (cells != "NA") & (cells != "None")
    try:  # a sparse column (Lightning's validation keys): the gaps masked, the numbers still parsed by numpy
        values = np.full(cells.size, np.nan)
        values[filled] = cells[filled].astype(np.float64)
        return filled, values
    except ValueError:
        pass
    present = np.zeros(len(column), dtype=bool)
    values = np.full(len(column), np.nan)
    for i, cell in enumerate(column):
        text = cell.strip()
        if text in NOT_LOGGED:
            continue
        try:
            values[i] = float(text)
        except ValueError:
            continue
        present[i] = True
    return present, values


def integer_steps(column: list[str]) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """A step or epoch counter: rows where it is missing or not a whole number are not usable."""
    present, values = numbers(column)
    whole = present & np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**62)
    steps = np.zeros(values.size, dtype=np.int64)
    steps[whole] = values[whole].astype(np.int64)
    return whole, steps


def restarted_steps(epochs: NDArray[np.int64], before: tuple[int, int] | None = None) -> tuple[NDArray[np.int64], int]:
    """Epoch counters of sessions appended to one file made continuous: each session starts after the last.

    Keras' CSVLogger with `append=True` writes a resumed `fit` below the previous one with its epoch counter
    starting again (at 0, or at `initial_epoch`). `before` is (epoch as logged, step) of the last row already
    read, when rows are read on from there (a watch). Returns the steps and the number of sessions started.
    """
    if before is None and (epochs.size < 2 or bool(np.all(epochs[1:] > epochs[:-1]))):
        return epochs, 1 if epochs.size else 0
    steps = epochs.copy()
    offset = 0 if before is None else before[1] - before[0]
    previous = None if before is None else before[1]
    sessions = 1 if before is None else 0
    for i in range(epochs.size):
        step = int(epochs[i]) + offset
        if previous is not None and step <= previous:
            offset = previous + 1 - int(epochs[i])
            step = previous + 1
            sessions += 1
        steps[i] = previous = step
    return steps, sessions


def build_series(
    names: Iterable[str], columns: Iterable[list[str]], usable: NDArray[np.bool_], steps: NDArray[np.int64]
) -> dict[str, MetricSeries]:
    """One series per column, each with the steps of the rows that logged it."""
    out: dict[str, MetricSeries] = {}
    for name, column in zip(names, columns):
        present, values = numbers(column)
        keep = present & usable
        if keep.any():
            out[name] = sorted_series(name, steps[keep], values[keep])
    return out
