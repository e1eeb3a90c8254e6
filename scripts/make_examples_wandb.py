"""Write the W&B example run shipped in examples/wandb/ by training a tiny real model with `wandb` offline.

The model is scripts/train_tiny.py's numpy MLP, trained for 800 steps with a learning rate high
enough to be noisy. It is logged the way a W&B user logs: `wandb.log({"train": {...}, "lr": ...},
step=step)` with nested dicts (keys `train/loss`, `train/acc`), the learning rate and gradient norm
every step, validation (`val/loss`, `val/acc`) every 50 steps, the config at `wandb.init`, a
summary value set by hand and a line of console output. wandb 0.31 writes it as
`wandb/offline-run-<time>-<id>/run-<id>.wandb`, a binary file and nothing else Runwise needs;
only that file is kept (W&B's logs, requirements.txt and caches are left out). About 0.5 MB.

The run is written in a child process with WANDB_MODE=offline and every W&B folder in a temporary
directory, so nothing reaches the network or the rest of the repository.

Usage: python scripts/make_examples_wandb.py [OUT_DIR]   (default: examples/wandb)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from wandb_offline import offline_env  # noqa: E402

RUN_ID = "tinymlp1"
CONFIG = {"lr": 0.2, "warmup_steps": 50, "n_train": 2000, "hidden_units": 64, "batch_size": 32, "seed": 3}
STEPS = 800

WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
import wandb
from train_tiny import train
config = {config!r}
run = wandb.init(project="runwise-examples", id={run_id!r}, name="tiny-mlp-lr0.2", dir=sys.argv[1], mode="offline",
                 config=config, tags=["example", "numpy-mlp"], notes="tiny numpy MLP on 4 Gaussian blobs")
best = float("inf")
for row in train(steps={steps}, peak_lr=config["lr"], warmup=config["warmup_steps"], train_size=config["n_train"],
                 hidden=config["hidden_units"], batch=config["batch_size"], seed=config["seed"]):
    log = {{"train": {{"loss": row["train/loss"], "acc": row["train/acc"]}}, "lr": row["lr"], "grad_norm": row["grad_norm"]}}
    if "val/loss" in row:
        log["val"] = {{"loss": row["val/loss"], "acc": row["val/acc"]}}
        best = min(best, row["val/loss"])
    wandb.log(log, step=row["step"])
print(f"done: best val/loss {{best:.4f}}")
run.summary["best_val_loss"] = best
run.finish()
"""


def write_wandb_example(out: Path) -> Path:
    """Train and log the run offline; returns the copied `.wandb` file (the example folder is replaced)."""
    with tempfile.TemporaryDirectory(prefix="runwise-wandb-example-") as tmp:
        base = Path(tmp)
        env = offline_env(base)
        code = WRITER.format(config=CONFIG, run_id=RUN_ID, steps=STEPS)
        subprocess.run([sys.executable, "-c", code, str(base), str(HERE)], env=env, cwd=base, check=True)
        (folder,) = [p for p in (base / "wandb").glob(f"offline-run-*-{RUN_ID}") if not p.is_symlink()]
        target = out / "wandb" / folder.name
        if (out / "wandb").exists():
            shutil.rmtree(out / "wandb")
        target.mkdir(parents=True)
        shutil.copy2(folder / f"run-{RUN_ID}.wandb", target)
    return target / f"run-{RUN_ID}.wandb"


if __name__ == "__main__":
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "examples" / "wandb"
    path = write_wandb_example(destination)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
