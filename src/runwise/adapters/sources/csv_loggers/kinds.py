"""Which logger wrote a CSV, from its header and first rows (never from the file name).

- Ultralytics `results.csv`: first column `epoch` and an `lr/pgN` column (the learning rate of each
  optimizer parameter group, which every task's trainer logs beside `train/...`, `metrics/...` and
  `val/...`); names padded with spaces before 8.1, plain since.
- Lightning CSVLogger `metrics.csv`: a `step` column, and the header sorted (Lightning sorts every
  key, `epoch` and `step` included, before writing it).
- Keras CSVLogger: first column `epoch`, then the other keys sorted (followed by `val_<key>` for
  each when the first epoch had no validation key), one of them a loss (`fit` always logs `loss`).
In every case the cells of the first rows must be numbers or empty ("NA" for Keras), a damaged row
in ten aside: a data set with an `epoch` column of dates, or with text in it, is not a run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Literal

Kind = Literal["lightning", "keras", "ultralytics"]
_PARAM_GROUP = re.compile(r"^lr/pg[0-9]+$")
_MISSING = {"", "NA", "nan", "NaN", "None"}
_INT = re.compile(r"^\s*[0-9]+\s*$")


def classify(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Kind | None:
    """The logger that wrote a CSV with this header and these first rows; None when it is not a run."""
    names = list(header)
    if len(names) < 2 or len(set(names)) != len(names) or not all(names):
        return None
    sample = [row for row in rows[:50] if len(row) == len(names)]
    if not _numeric(sample):
        return None
    if names[0] == "epoch" and any(_PARAM_GROUP.match(n) for n in names):
        return "ultralytics" if _integers(sample, 0) else None
    if "step" in names:
        return "lightning" if names == sorted(names) and _integers(sample, names.index("step")) else None
    rest = names[1:]
    if names[0] == "epoch" and _keras_order(rest) and any("loss" in n for n in rest):
        return "keras" if _integers(sample, 0) else None
    return None


def _keras_order(keys: list[str]) -> bool:
    """Keras sorts the keys of the first epoch; with no validation key it appends `val_<key>` for each."""
    if keys == sorted(keys):
        return True
    half = len(keys) // 2
    base = keys[:half]
    return base == sorted(base) and keys[half:] == [f"val_{k}" for k in base]


def _numeric(rows: Sequence[Sequence[str]]) -> bool:
    """Numbers (or gaps) from the first row on, allowing one damaged row (or one in ten): a data set has text in
    every row."""
    bad = sum(not _numeric_row(row) for row in rows)
    return bad <= max(1, len(rows) // 10) and (not rows or _numeric_row(rows[0]))


def _numeric_row(row: Sequence[str]) -> bool:
    for cell in row:
        text = cell.strip()
        if text in _MISSING:
            continue
        try:
            float(text)
        except ValueError:
            return False
    return True


def _integers(rows: Sequence[Sequence[str]], column: int) -> bool:
    """The column holds whole numbers wherever it is filled (an epoch or step counter)."""
    for row in rows:
        text = row[column].strip()
        if not text:
            continue
        if not _INT.match(text):
            try:
                value = float(text)
            except ValueError:
                return False
            if not math.isfinite(value) or value != int(value):
                return False
    return True
