"""Source-neutral descriptions of runs that every seeder writes with its real library."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from runwise.ports.run_source import RunSource


@attrs.frozen
class SeriesSpec:
    steps: tuple[int, ...]
    values: tuple[float, ...]


@attrs.frozen
class RunSpec:
    """A run to write: name, config and series (each key with its own steps)."""

    name: str
    series: Mapping[str, SeriesSpec]
    config: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Seeded:
    """What a seeder wrote: the source over it, the run id per spec name and its path on disk."""

    source: RunSource
    ids: Mapping[str, str]
    paths: Mapping[str, Path]
    root: Path


def standard_specs() -> list[RunSpec]:
    """Two runs: dense train keys with NaN/±Inf, a sparse validation key, distinct configs."""
    steps = tuple(range(0, 200))
    loss = [float(4.0 * np.exp(-s / 50) + 0.1) for s in steps]
    loss[120] = float("nan")
    loss[121] = float("inf")
    loss[122] = float("-inf")
    acc = [float(min(1.0, s / 200)) for s in steps]
    val_steps = tuple(range(0, 200, 50))
    val = [float(2.0 - 0.3 * i) for i in range(len(val_steps))]
    alpha = RunSpec(
        name="alpha-lr0.1",
        config={"lr": 0.1, "batch_size": 32},
        series={
            "train/loss": SeriesSpec(steps, tuple(loss)),
            "train/acc": SeriesSpec(steps, tuple(acc)),
            "val/loss": SeriesSpec(val_steps, tuple(val)),
        },
    )
    beta_steps = tuple(range(0, 100))
    beta = RunSpec(
        name="beta-lr0.01",
        config={"lr": 0.01, "batch_size": 64},
        series={
            "train/loss": SeriesSpec(beta_steps, tuple(float(3.0 - s * 0.01) for s in beta_steps)),
            "val/loss": SeriesSpec((0, 50), (2.5, 2.0)),
        },
    )
    return [alpha, beta]
