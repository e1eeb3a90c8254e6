"""Ultralytics `results.csv` and `args.yaml` written with the conventions of the Ultralytics releases.

The real package is not used to train in the tests: it needs OpenCV (and the system's libGL),
torchvision and matplotlib beside torch, and it fetches fonts and assets from the network as it
trains. These writers reproduce, line for line, what its trainer writes:

- current releases (8.1 to 8.4.x, checked against 8.4.190's `BaseTrainer.save_metrics`): the header
  `epoch,time,<keys>` written once, then per epoch `"%.6g,"` of `epoch + 1`, the seconds since training
  started and each value, the trailing comma stripped; keys are the loss items (`train/box_loss`, ...),
  the validator's metrics (`metrics/precision(B)`, ...), the validation losses and `lr/pg0..2`;
- 8.0.x: no `time` column, names right-aligned in 23 characters (`'%23s,'`) and values in `'%23.5g,'`.

`args.yaml` is the trainer's arguments dumped with PyYAML, in the order the trainer holds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

DETECT_KEYS = (
    "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)", "metrics/recall(B)",
    "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss", "val/dfl_loss",
    "lr/pg0", "lr/pg1", "lr/pg2",
)  # fmt: skip


def append_epoch(csv: Path, epoch: int, seconds: float, metrics: Mapping[str, Any], *, fmt: str = "%.6g") -> None:
    """One epoch's row as the current trainer appends it (header first when the file does not exist yet).

    `epoch` is the trainer's 0-based counter (written as epoch + 1). `fmt` is the trainer's "%.6g"; the
    contract seeder passes "%.17g" so values compare exactly, and "" writes an empty cell for None.
    """
    keys, values = list(metrics), list(metrics.values())
    n = len(metrics) + 2
    header = "" if csv.exists() else ("%s," * n % ("epoch", "time", *keys)).rstrip(",") + "\n"
    cells = [fmt % v if v is not None else "" for v in (epoch + 1, seconds, *values)]
    with open(csv, "a", encoding="utf-8") as f:
        f.write(header + ",".join(cells) + "\n")


def append_epoch_legacy(csv: Path, epoch: int, metrics: Mapping[str, Any]) -> None:
    """One epoch's row as 8.0.x appended it: padded names and values, no `time` column."""
    keys, values = list(metrics), list(metrics.values())
    n = len(metrics) + 1
    header = "" if csv.exists() else (("%23s," * n % tuple(["epoch", *keys])).rstrip(",") + "\n")
    with open(csv, "a", encoding="utf-8") as f:
        f.write(header + ("%23.5g," * n % tuple([epoch + 1, *values])).rstrip(",") + "\n")


def write_args(folder: Path, args: Mapping[str, Any]) -> None:
    (folder / "args.yaml").write_text(yaml.safe_dump(dict(args), sort_keys=False, allow_unicode=True))


def detect_args(**overrides: Any) -> dict[str, Any]:
    """The first arguments of a detection run's args.yaml, in the trainer's order."""
    args: dict[str, Any] = {
        "task": "detect", "mode": "train", "model": "yolov8n.yaml", "data": "coco8.yaml", "epochs": 10,
        "time": None, "patience": 100, "batch": 16, "imgsz": 640, "save": True, "device": "cpu", "optimizer": "auto",
        "seed": 0, "lr0": 0.01, "lrf": 0.01, "momentum": 0.937, "weight_decay": 0.0005, "warmup_epochs": 3.0,
    }  # fmt: skip
    args.update(overrides)
    return args


def write_detect_run(folder: Path, rows: Sequence[Mapping[str, float]], *, legacy: bool = False, **args: Any) -> Path:
    """A detection training folder (`runs/detect/trainN`): args.yaml, then results.csv epoch by epoch."""
    folder.mkdir(parents=True, exist_ok=True)
    write_args(folder, detect_args(epochs=len(rows), **args))
    csv = folder / "results.csv"
    for epoch, row in enumerate(rows):
        metrics = {k: row[k] for k in DETECT_KEYS}
        if legacy:
            append_epoch_legacy(csv, epoch, metrics)
        else:
            append_epoch(csv, epoch, 12.5 * (epoch + 1), metrics)
    return csv
