"""Keras CSVLogger files written by Keras 3 on the torch backend (tests/frameworks/keras_writer.py).

The values go through the callback's `on_epoch_end` with the spec's step as the epoch; keys missing at
an epoch are written as Keras writes them (`NA`). The framework runs once per test session; each seed
copies its files.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.csv_loggers import KerasRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded, standard_specs
from tests.frameworks import framework_runs

NAME = "keras"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    assert [s.name for s in specs] == [s.name for s in standard_specs()], "the framework wrote the standard specs"
    written = framework_runs("keras") / "contract"
    ids, paths = {}, {}
    for spec in specs:
        path = tmp_path / f"{spec.name}.csv"
        shutil.copy2(written / path.name, path)
        shutil.copy2(written / f"{spec.name}.config.json", tmp_path / f"{spec.name}.config.json")
        ids[spec.name] = spec.name
        paths[spec.name] = path
    return Seeded(KerasRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    """The callback creates the file at `on_train_begin` and writes the header only with the first epoch."""
    shutil.copy2(framework_runs("keras") / "empty" / "empty-run.csv", tmp_path / "empty-run.csv")
    return KerasRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    path = seeded.paths[spec_name]
    data = path.read_bytes().rstrip(b"\r\n")
    last_line_start = data.rfind(b"\n") + 1
    path.write_bytes(data[: last_line_start + (len(data) - last_line_start) // 2])
