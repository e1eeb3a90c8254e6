"""Plain-text logs printed the way training scripts print them (nanoGPT's layout, the generic pattern).

Each spec becomes `<name>.log`: its config as nanoGPT's configurator prints it (`Overriding: lr = 0.1`),
then one `step N: key value, key value` line per step with the values printed by Python (`nan`,
`inf`, `-inf` included), as `print(..., file=log)` writes them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.sources.text_logs import TextLogRunSource
from tests.contract.spec import RunSpec, Seeded

NAME = "text"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    ids, paths = {}, {}
    for order, spec in enumerate(specs):
        rows: dict[int, dict[str, float]] = {}
        for key, series in spec.series.items():
            for step, value in zip(series.steps, series.values):
                rows.setdefault(step, {})[key] = value
        path = tmp_path / f"{spec.name}.log"
        with path.open("w") as log:
            for key, value in spec.config.items():
                print(f"Overriding: {key} = {value!r}", file=log)
            print("compiling the model... (takes a ~minute)", file=log)
            for step in sorted(rows):
                print(f"step {step}: " + ", ".join(f"{k} {v!r}" for k, v in rows[step].items()), file=log)
        os.utime(path, (1_700_000_000 + order, 1_700_000_000 + order))
        ids[spec.name] = spec.name
        paths[spec.name] = path
    return Seeded(TextLogRunSource(tmp_path), ids, paths, tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    path = seeded.paths[spec_name]
    data = path.read_bytes().rstrip(b"\n")
    last_line_start = data.rfind(b"\n") + 1
    path.write_bytes(data[: last_line_start + (len(data) - last_line_start) // 2])
