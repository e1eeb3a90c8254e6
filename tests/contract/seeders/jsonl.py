"""JSONL runs written the way training scripts write them: json.dumps per step, NaN as Python writes it."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.jsonl import JsonlRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded

NAME = "jsonl"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    ids, paths = {}, {}
    for order, spec in enumerate(specs):
        rows: dict[int, dict[str, float]] = {}
        for key, series in spec.series.items():
            for step, value in zip(series.steps, series.values):
                rows.setdefault(step, {})[key] = value
        path = tmp_path / f"{spec.name}.jsonl"
        with path.open("w") as fh:
            fh.write(json.dumps({"config": dict(spec.config)}) + "\n")
            for step in sorted(rows):
                fh.write(json.dumps({"step": step, **rows[step]}) + "\n")
        os.utime(path, (1_700_000_000 + order, 1_700_000_000 + order))
        ids[spec.name] = spec.name
        paths[spec.name] = path
    return Seeded(JsonlRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    (tmp_path / "empty.jsonl").write_bytes(b"")
    return JsonlRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    path = seeded.paths[spec_name]
    data = path.read_bytes().rstrip(b"\n")
    last_line_start = data.rfind(b"\n") + 1
    path.write_bytes(data[: last_line_start + (len(data) - last_line_start) // 2])
