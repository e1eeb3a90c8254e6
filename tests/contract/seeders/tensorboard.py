"""TensorBoard runs written with tensorboardX's SummaryWriter, the way PyTorch training scripts write them."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

from tensorboardX import SummaryWriter

from runwise.adapters.sources.tensorboard import TensorBoardRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded

NAME = "tensorboard"


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    ids, paths = {}, {}
    for spec in specs:
        folder = tmp_path / spec.name
        rows: dict[int, dict[str, float]] = {}
        for key, series in spec.series.items():
            for step, value in zip(series.steps, series.values):
                rows.setdefault(step, {})[key] = value
        with SummaryWriter(str(folder)) as writer:
            writer.add_hparams(dict(spec.config), {})  # a child folder named by the time, as PyTorch does
            for step in sorted(rows):
                for key, value in rows[step].items():
                    writer.add_scalar(key, value, step)
        ids[spec.name] = spec.name
        paths[spec.name] = folder
    return Seeded(TensorBoardRunSource(tmp_path), ids, paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    SummaryWriter(str(tmp_path / "empty")).close()  # holds only the file_version record
    return TensorBoardRunSource(tmp_path)


def truncate_tail(seeded: Seeded, spec_name: str) -> None:
    (path,) = sorted(seeded.paths[spec_name].glob("events.out.tfevents.*"))
    data = path.read_bytes()
    pos = last = 0
    while pos < len(data):
        last = pos
        pos += 16 + struct.unpack_from("<Q", data, pos)[0]
    length = struct.unpack_from("<Q", data, last)[0]
    path.write_bytes(data[: last + 12 + length // 2])
