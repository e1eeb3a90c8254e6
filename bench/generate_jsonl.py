"""Write a synthetic JSONL training log: 10 metrics per step, sparse validation keys, one NaN, one spike.

Usage: python bench/generate_jsonl.py STEPS OUT.jsonl
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np


def generate(steps: int, out: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    loss = 4.0 * np.exp(-t / (steps / 5)) + 0.4 + rng.normal(0, 0.03, steps)
    loss[int(steps * 0.6)] *= 8  # one spike
    nan_at = int(steps * 0.8)
    val_every = max(1, steps // 100)
    warm = max(1, steps // 50)
    with out.open("w") as fh:
        for i in range(steps):
            lr = 3e-4 * min(1.0, (i + 1) / warm) * 0.5 * (1 + math.cos(math.pi * i / steps))
            row = {
                "step": i,
                "train/loss": float("nan") if i == nan_at else round(float(loss[i]), 6),
                "train/acc": round(float(1 - loss[i] / 5), 6),
                "lr": lr,
                "grad_norm": round(float(abs(rng.normal(1.0, 0.1))), 5),
                "samples_per_sec": round(float(1000 + rng.normal(0, 10)), 2),
                "epoch": i // 1000,
                "train/ppl": round(float(math.exp(min(loss[i], 20))), 4),
                "gpu/mem": 11.5,
                "_timestamp": 1_700_000_000 + i * 0.1,
            }
            if i % val_every == 0:
                row["val/loss"] = round(float(loss[i] + 0.05), 6)
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
