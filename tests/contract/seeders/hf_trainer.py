"""Hugging Face Trainer runs written by `transformers.Trainer` itself (tests/frameworks/hf_writer.py).

The values are logged through `Trainer.log` at the spec's steps, with a `checkpoint-N` folder in
the middle and at the end and the final `save_state`, as a training script's Trainer writes them.
The framework runs once per test session; each seed copies its output folders.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.hf_trainer import HfTrainerRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded, standard_specs
from tests.frameworks import framework_runs

NAME = "hf"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    assert [s.name for s in specs] == [s.name for s in standard_specs()], "the framework wrote the standard specs"
    written = framework_runs("hf") / "contract"
    ids, paths = {}, {}
    for spec in specs:
        folder = tmp_path / spec.name
        shutil.copytree(written / spec.name, folder)
        ids[spec.name] = spec.name
        paths[spec.name] = folder
    return Seeded(HfTrainerRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    shutil.copytree(framework_runs("hf") / "empty" / "empty-run", tmp_path / "empty-run")
    return HfTrainerRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    """Cut the newest state file in half, as a reader meets it while the Trainer rewrites it."""
    path = seeded.paths[spec_name] / "trainer_state.json"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
