"""Lightning CSVLogger runs written by `lightning` itself (tests/frameworks/lightning_writer.py).

The values go through `CSVLogger.log_metrics` at the spec's steps (validation keys on rows of their
own, as Lightning logs them), the config through `log_hyperparams` (hparams.yaml). The framework runs
once per test session; each seed copies its version folders.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.csv_loggers import LightningRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded, standard_specs
from tests.frameworks import framework_runs

NAME = "lightning"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    assert [s.name for s in specs] == [s.name for s in standard_specs()], "the framework wrote the standard specs"
    written = framework_runs("lightning") / "contract"
    ids, paths = {}, {}
    for spec in specs:
        shutil.copytree(written / spec.name, tmp_path / spec.name)
        ids[spec.name] = f"{spec.name}/version_0"
        paths[spec.name] = tmp_path / spec.name / "version_0"
    return Seeded(LightningRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    """Lightning writes no metrics.csv before the first metric: the version folder is not a run yet."""
    shutil.copytree(framework_runs("lightning") / "empty", tmp_path / "empty")
    return LightningRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    path = seeded.paths[spec_name] / "metrics.csv"
    data = path.read_bytes().rstrip(b"\n")
    last_line_start = data.rfind(b"\n") + 1
    path.write_bytes(data[: last_line_start + (len(data) - last_line_start) // 2])
