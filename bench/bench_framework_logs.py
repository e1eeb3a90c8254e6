"""Whole-process time of `runwise run` on 100k-step logs in the frameworks' own formats, beside a floor.

Formats: `hf` (a Trainer `trainer_state.json`: 100k training entries, an evaluation every 1,000
steps, the end-of-training entry; written with indent=2 and sorted keys as the Trainer writes it),
`lightning` (a CSVLogger `metrics.csv`: a row per step, validation and epoch rows of their own every
1,000) and `text` (nanoGPT's stdout: an `iter` line per step, a `step` evaluation line every 1,000).
Beside it: the same command on a 10-step log of the same format (Python start-up, imports and the
analysis of a tiny run: what the reader adds is the difference) and a floor process that only reads
the file and parses it with the standard library. Every call is cold: a new process with `--no-cache`
(else the parsed-run cache and the answer cache serve the repeats after the first).
Usage: python bench/bench_framework_logs.py [--formats hf lightning text] [--steps 100000] [--repeat 5]
Data is generated once into bench/data/ (git-ignored). Prints the median and the best of the runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def _loss(step: int, rng: random.Random) -> float:
    return 4.0 * math.exp(-step / 20_000) + 0.3 + rng.gauss(0, 0.02)


def write_hf(steps: int, folder: Path) -> Path:
    rng = random.Random(0)
    history: list[dict[str, float | int]] = []
    for step in range(1, steps + 1):
        history.append(
            {"epoch": step / 1000, "grad_norm": abs(rng.gauss(1, 0.2)), "learning_rate": 5e-5 * (1 - step / steps),
             "loss": _loss(step, rng), "step": step}
        )  # fmt: skip
        if step % 1000 == 0:
            history.append(
                {"epoch": step / 1000, "eval_loss": _loss(step, rng) + 0.1, "eval_runtime": 1.5,
                 "eval_samples_per_second": 600.0, "eval_steps_per_second": 75.0, "step": step}
            )  # fmt: skip
    history.append({"epoch": steps / 1000, "step": steps, "total_flos": 1e15, "train_loss": 1.0, "train_runtime": 9e3})
    state = {
        "best_global_step": None, "best_metric": None, "best_model_checkpoint": None, "epoch": steps / 1000,
        "eval_steps": 1000, "global_step": steps, "is_hyper_param_search": False, "is_local_process_zero": True,
        "is_world_process_zero": True, "log_history": history, "logging_steps": 1, "max_steps": steps,
        "num_input_tokens_seen": 0, "num_train_epochs": 100, "save_steps": 500, "stateful_callbacks": {},
        "total_flos": 1e15, "train_batch_size": 8, "trial_name": None, "trial_params": None,
    }  # fmt: skip
    path = folder / "trainer_state.json"
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    return path


def write_lightning(steps: int, folder: Path) -> Path:
    """Lightning CSVLogger's layout: a training row per step, a validation row of its own every 1,000 steps; CRLF
    line ends, as the csv module writes them for the logger."""
    rng = random.Random(0)
    path = folder / "metrics.csv"
    with path.open("w", newline="") as fh:
        fh.write("epoch,step,train_loss_epoch,train_loss_step,val_loss\r\n")
        for step in range(steps):
            epoch = step // 1000
            fh.write(f"{epoch},{step},,{_loss(step, rng)},\r\n")
            if step % 1000 == 999:
                fh.write(f"{epoch},{step},,,{_loss(step, rng) + 0.1}\r\n")
                fh.write(f"{epoch},{step},{_loss(step, rng)},,\r\n")
    (folder / "hparams.yaml").write_text("lr: 0.001\nbatch_size: 32\n")
    return path


def write_text(steps: int, folder: Path) -> Path:
    """nanoGPT's stdout: an `iter` line per step, a `step` evaluation line every 1,000."""
    rng = random.Random(0)
    path = folder / "train.log"
    with path.open("w") as fh:
        fh.write("Overriding: batch_size = 12\nnumber of parameters: 10.65M\n")
        for step in range(steps):
            if step % 1000 == 0:
                fh.write(f"step {step}: train loss {_loss(step, rng):.4f}, val loss {_loss(step, rng) + 0.1:.4f}\n")
            fh.write(f"iter {step}: loss {_loss(step, rng):.4f}, time {30 + rng.random():.2f}ms, mfu {12.3:.2f}%\n")
    return path


FLOOR_JSON = "import json, sys\nwith open(sys.argv[1], 'rb') as fh:\n    json.load(fh)\n"
FLOOR_CSV = "import csv, sys\nwith open(sys.argv[1], newline='') as fh:\n    rows = list(csv.reader(fh))\n"
FLOOR_LINES = "import sys\nwith open(sys.argv[1]) as fh:\n    lines = fh.read().split('\\n')\n"

# format -> (writer, floor program)
FORMATS: dict[str, tuple[Callable[[int, Path], Path], str]] = {
    "hf": (write_hf, FLOOR_JSON),
    "lightning": (write_lightning, FLOOR_CSV),
    "text": (write_text, FLOOR_LINES),
}


def ensure(fmt: str, steps: int) -> Path:
    folder = DATA / f"{fmt}{steps}{'-crlf' if fmt == 'lightning' else ''}" / "run"
    marker = folder.parent / "done"
    if not marker.exists():
        shutil.rmtree(folder.parent, ignore_errors=True)
        folder.mkdir(parents=True)
        path = FORMATS[fmt][0](steps, folder)
        marker.write_text(str(path))
    return Path(marker.read_text())


def _ref(fmt: str, path: Path) -> Path:
    """The path REF of the run: the folder for folder runs, the file for file runs."""
    return path if fmt == "text" else path.parent


def measure(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.decode()}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--formats", nargs="+", default=sorted(FORMATS), choices=sorted(FORMATS))
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    runwise = shutil.which("runwise") or "runwise"
    print(f"{'format':<10}  {'command':<8}  {'best s':>7}  {'median s':>8}  size")
    for fmt in args.formats:
        path = ensure(fmt, args.steps)
        tiny = ensure(fmt, 10)
        size = f"{os.path.getsize(path) / 1e6:.1f} MB"
        for label, argv in (
            ("runwise", [runwise, "--no-cache", "--dir", str(path.parent.parent), "run", str(_ref(fmt, path))]),
            ("10 steps", [runwise, "--no-cache", "--dir", str(tiny.parent.parent), "run", str(_ref(fmt, tiny))]),
            ("floor", [sys.executable, "-c", FORMATS[fmt][1], str(path)]),
        ):
            walls = [measure(argv) for _ in range(args.repeat)]
            print(f"{fmt:<10}  {label:<8}  {min(walls):>7.3f}  {statistics.median(walls):>8.3f}  {size}")


if __name__ == "__main__":
    main()
