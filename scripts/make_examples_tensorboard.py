"""Write the TensorBoard example run shipped in examples/tensorboard/ by training a tiny real model.

The model is scripts/train_tiny.py's numpy MLP, made wide (256 units) and given only 240 training
samples, so it overfits for real: validation loss is best early and then climbs while training loss
keeps falling. It is logged with tensorboardX's SummaryWriter under the key names of PyTorch's
TensorBoard tutorial (`Loss/train`, `Loss/val`, ...): loss and accuracy every step, learning rate and
gradient norm every 10 steps, validation every 50, hyperparameters in the same event file (as
Lightning's TensorBoardLogger writes them), a text note and a gradient-norm histogram. About 200 KB.

The writer's clock is set to a fixed start (2025-12-31 23:00 UTC, an hour before the JSONL examples)
and its host name to "runwise-example", so that regenerating gives the same file name and wall
times; tensorboardX otherwise stamps its first record and the file name with the real clock.

Usage: python scripts/make_examples_tensorboard.py [OUT_DIR]   (default: examples/tensorboard)
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
from tensorboardX import SummaryWriter
from tensorboardX.summary import hparams

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_tiny import train

CONFIG = {"lr": 0.05, "warmup_steps": 100, "n_train": 240, "hidden_units": 256, "batch_size": 32, "seed": 1}
STEPS = 2000


START_TIME = 1_767_222_000.0


def write_tensorboard_example(out: Path, name: str = "wide-mlp", start_time: float = START_TIME) -> Path:
    """Train the tiny MLP and log it to `out/<name>/`; returns the run folder (replaced if it existed).

    Wall times start at `start_time` and advance 50 ms a step.
    """
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with (
        mock.patch("time.time", return_value=start_time),
        mock.patch("socket.gethostname", return_value="runwise-example"),
    ):
        _log(folder, start_time)
    return folder


def _log(folder: Path, start_time: float) -> None:
    with SummaryWriter(str(folder), flush_secs=3600) as writer:
        exp, ssi, sei = hparams(dict(CONFIG), {"Loss/val": 0.0})  # declares Loss/val as the hparams metric
        for summary in (exp, ssi, sei):
            writer.file_writer.add_summary(summary, walltime=start_time)
        writer.add_text(
            "notes", "tiny numpy MLP on 4 Gaussian blobs, cosine schedule with warmup", 0, walltime=start_time
        )
        rows = train(
            steps=STEPS,
            peak_lr=CONFIG["lr"],
            warmup=CONFIG["warmup_steps"],
            train_size=CONFIG["n_train"],
            hidden=CONFIG["hidden_units"],
            batch=CONFIG["batch_size"],
            seed=CONFIG["seed"],
        )
        grad_norms: list[float] = []
        for row in rows:
            step = row["step"]
            wall = round(start_time + 1 + step * 0.05, 3)
            writer.add_scalar("Loss/train", row["train/loss"], step, walltime=wall)
            writer.add_scalar("Accuracy/train", row["train/acc"], step, walltime=wall)
            grad_norms.append(row["grad_norm"])
            if step % 10 == 0:
                writer.add_scalar("LearningRate", row["lr"], step, walltime=wall)
                writer.add_scalar("GradNorm", row["grad_norm"], step, walltime=wall)
            if "val/loss" in row:
                writer.add_scalar("Loss/val", row["val/loss"], step, walltime=wall)
                writer.add_scalar("Accuracy/val", row["val/acc"], step, walltime=wall)
            if step % 500 == 0 or step == STEPS - 1:
                writer.add_histogram("GradNorm/window", np.array(grad_norms[-500:]), step, walltime=wall)


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "examples" / "tensorboard"
    )
    t0 = time.perf_counter()
    run = write_tensorboard_example(target)
    for path in sorted(run.iterdir()):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    print(f"{time.perf_counter() - t0:.1f}s")
