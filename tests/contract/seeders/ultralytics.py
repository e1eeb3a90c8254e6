"""Ultralytics training folders (`results.csv` + `args.yaml`) in the exact layout of the current release.

The real package cannot train here without network and system libraries, so the files are written by
tests/frameworks/ultralytics_format.py, which reproduces `BaseTrainer.save_metrics` of 8.4.190 (see
there). Two departures, both for the contract's exact comparison: values are printed with "%.17g"
instead of "%.6g", and a key missing at an epoch (the spec's sparse `val/loss`) is an empty cell,
where Ultralytics logs every column every epoch. The epoch column holds the spec's step. Each run
also has the `lr/pg0` column every Ultralytics run has, and its config in `args.yaml`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.csv_loggers import UltralyticsRunSource
from tests.contract.spec import RunSpec, Seeded
from tests.frameworks.ultralytics_format import append_epoch, detect_args, write_args

NAME = "ultralytics"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    ids, paths = {}, {}
    for order, spec in enumerate(specs):
        folder = tmp_path / "detect" / spec.name
        folder.mkdir(parents=True)
        write_args(folder, {**detect_args(), **spec.config})
        steps = sorted({step for series in spec.series.values() for step in series.steps})
        by_key = {key: dict(zip(series.steps, series.values)) for key, series in spec.series.items()}
        csv = folder / "results.csv"
        for step in steps:
            metrics = {key: values.get(step) for key, values in by_key.items()}
            append_epoch(csv, step - 1, 1.5 * (step + 1), {**metrics, "lr/pg0": 0.01}, fmt="%.17g")
        os.utime(csv, (1_700_000_000 + order, 1_700_000_000 + order))
        ids[spec.name] = f"detect/{spec.name}"
        paths[spec.name] = folder
    return Seeded(UltralyticsRunSource(tmp_path), ids, paths, tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    path = seeded.paths[spec_name] / "results.csv"
    data = path.read_bytes().rstrip(b"\n")
    last_line_start = data.rfind(b"\n") + 1
    path.write_bytes(data[: last_line_start + (len(data) - last_line_start) // 2])
