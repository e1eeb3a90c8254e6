"""Neptune runs written by the real neptune 1.x client in offline mode (see tests/neptune_writers.py).

neptune 1.x refuses NaN and ±Inf at log time (it stores nothing and warns once per kind); the source
puts them back from that warning, so this seeder passes the same NaN/Inf checks as the others."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.neptune import NeptuneRunSource
from runwise.ports.run_source import RunSource
from tests import neptune_writers
from tests.contract.spec import RunSpec, Seeded, standard_specs

NAME = "neptune-offline"
FORM = "offline"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    _, ids = neptune_writers.copy_written(neptune_writers.job_of(FORM, specs), tmp_path)
    source = NeptuneRunSource(tmp_path)
    paths = {info.name: Path(info.path) for info in source.list_runs() if info.path}
    return Seeded(source, ids, {n: p for n, p in paths.items() if n in ids}, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    neptune_writers.copy_written(EMPTY_JOB, tmp_path)
    return NeptuneRunSource(tmp_path)


EMPTY_JOB = neptune_writers.job_of(FORM, [RunSpec(name="empty", series={})])
neptune_writers.SESSION_JOBS.extend([neptune_writers.job_of(FORM, standard_specs()), EMPTY_JOB])
