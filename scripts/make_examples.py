"""Write the example runs shipped in examples/ by training tiny real models (numpy only).

Usage: python scripts/make_examples.py [OUT_DIR]   (default: examples/jsonl)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_tiny import train

RUNS = {
    # name: (config, training arguments)
    "baseline": ({"lr": 0.05, "warmup": 100, "train_size": 2000, "hidden": 64, "seed": 0}, {}),
    "lr-too-high": ({"lr": 6.0, "warmup": 600, "train_size": 2000, "hidden": 64, "seed": 0}, {}),
    "small-data": ({"lr": 0.02, "warmup": 100, "train_size": 96, "hidden": 256, "seed": 0}, {"steps": 3000}),
}


def write_examples(out: Path, start_time: float = 1_767_225_600.0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for order, (name, (config, extra)) in enumerate(RUNS.items()):
        path = out / f"{name}.jsonl"
        clock = start_time + order * 3600
        with path.open("w") as fh:
            fh.write(json.dumps({"config": config}) + "\n")
            rows = train(
                peak_lr=config["lr"],
                warmup=config["warmup"],
                train_size=config["train_size"],
                hidden=config["hidden"],
                seed=config["seed"],
                **extra,
            )
            for row in rows:
                row["_timestamp"] = round(clock + row["step"] * 0.05, 3)
                fh.write(json.dumps(row) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "examples" / "jsonl"
    t0 = time.perf_counter()
    for p in write_examples(target):
        print(f"wrote {p} ({p.stat().st_size // 1024} KiB)")
    print(f"{time.perf_counter() - t0:.1f}s")
