"""neptune-exporter Parquet parts written with pyarrow in the exporter's documented schema.

The exporter itself cannot run here: it downloads from Neptune's hosted service, which shut down on
2026-03-05. tests/neptune_writers.py writes what it would write (`model.SCHEMA`, parts named
`<run id>_part_<n>.parquet`, `sys/*` and `parameters/*` attributes, float series with decimal steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.neptune import NeptuneRunSource
from runwise.ports.run_source import RunSource
from tests import neptune_writers
from tests.contract.spec import RunSpec, Seeded

NAME = "neptune-export"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    ids, paths = {}, {}
    for order, spec in enumerate(specs):
        run_id = f"CONTRACT-{order + 1}"
        parts = neptune_writers.write_export(
            tmp_path / "exports" / "runwise_contract",
            run_id,
            spec.name,
            neptune_writers.rows_of(spec),
            spec.config,
            created=1_700_000_000.0 + order * 10_000,
        )
        ids[spec.name] = run_id
        paths[spec.name] = parts[0]
    return Seeded(NeptuneRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    neptune_writers.write_export(tmp_path / "exports" / "p", "EMPTY-1", "empty", [], {}, parts=1)
    return NeptuneRunSource(tmp_path)
