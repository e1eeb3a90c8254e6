"""Write the TensorBoard example run shipped in examples/tensorboard/ by training a tiny real model.

The model is scripts/train_tiny.py's numpy MLP; the run is logged with tensorboardX's SummaryWriter
the way a PyTorch Lightning loop logs it: loss and accuracy every step, learning rate and gradient
norm every 10 steps, validation every 50, hyperparameters in the same event file (as Lightning's
TensorBoardLogger writes them), a text note and weight-norm histograms. About 200 KB.

Usage: python scripts/make_examples_tensorboard.py [OUT_DIR]   (default: examples/tensorboard)
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np
from tensorboardX import SummaryWriter
from tensorboardX.summary import hparams

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_tiny import train

CONFIG = {"lr": 0.05, "warmup": 100, "train_size": 2000, "hidden": 64, "seed": 0, "batch_size": 32}
STEPS = 2000


def write_tensorboard_example(out: Path, name: str = "tiny-mlp", start_time: float | None = None) -> Path:
    """Train the tiny MLP and log it to `out/<name>/`; returns the run folder (replaced if it existed).

    Wall times start at `start_time` (default: now) and advance 50 ms a step. They must not precede
    the real clock: the writer stamps its first record (file_version) with the time it opens the file.
    """
    start_time = time.time() if start_time is None else start_time
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with SummaryWriter(str(folder), flush_secs=3600) as writer:
        exp, ssi, sei = hparams(dict(CONFIG), {"val/loss": 0.0})  # declares val/loss as the hparams metric
        for summary in (exp, ssi, sei):
            writer.file_writer.add_summary(summary, walltime=start_time)
        writer.add_text(
            "notes", "tiny numpy MLP on 4 Gaussian blobs, cosine schedule with warmup", 0, walltime=start_time
        )
        rows = train(
            steps=STEPS,
            peak_lr=CONFIG["lr"],
            warmup=CONFIG["warmup"],
            train_size=CONFIG["train_size"],
            hidden=CONFIG["hidden"],
            batch=CONFIG["batch_size"],
            seed=CONFIG["seed"],
        )
        grad_norms: list[float] = []
        for row in rows:
            step = row["step"]
            wall = round(start_time + 1 + step * 0.05, 3)
            writer.add_scalar("train/loss", row["train/loss"], step, walltime=wall)
            writer.add_scalar("train/acc", row["train/acc"], step, walltime=wall)
            grad_norms.append(row["grad_norm"])
            if step % 10 == 0:
                writer.add_scalar("lr", row["lr"], step, walltime=wall)
                writer.add_scalar("grad_norm", row["grad_norm"], step, walltime=wall)
            if "val/loss" in row:
                writer.add_scalar("val/loss", row["val/loss"], step, walltime=wall)
                writer.add_scalar("val/acc", row["val/acc"], step, walltime=wall)
            if step % 500 == 0 or step == STEPS - 1:
                writer.add_histogram("grad_norm/window", np.array(grad_norms[-500:]), step, walltime=wall)
    return folder


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "examples" / "tensorboard"
    )
    t0 = time.perf_counter()
    run = write_tensorboard_example(target)
    for path in sorted(run.iterdir()):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    print(f"{time.perf_counter() - t0:.1f}s")
