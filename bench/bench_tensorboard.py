"""Loading a large TensorBoard scalar file: Runwise's reader against tbparse, with peak memory.

The file is written by tensorboardX the way a PyTorch loop logs: `train/loss`, `train/lr` and
`train/grad_norm` at every step and `val/loss` every 1000 steps (3 records per step). Each figure
comes from a fresh child process: the load time is measured inside it (imports excluded), peak RSS
is the child's, and "process" is the wall time of a whole `runwise run`-like process (start-up,
imports, discovery, load, summary) built with the TensorBoard source.

Usage: python bench/bench_tensorboard.py [--steps 100000] [--million] [--repeat 3] [--no-tbparse]
Data is generated once into bench/data/ (git-ignored); writing 1M steps takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

RUNWISE_LOAD = """
import json, resource, sys, time
from runwise.adapters.sources.tensorboard import TensorBoardRunSource
root, run_id = sys.argv[1], sys.argv[2]
start = time.perf_counter()
run = TensorBoardRunSource(root).load_run(run_id)
seconds = time.perf_counter() - start
points = sum(len(s) for s in run.series.values())
print(json.dumps({"seconds": seconds, "points": points}))
"""

TBPARSE_LOAD = """
import json, sys, time
from tbparse import SummaryReader
start = time.perf_counter()
frame = SummaryReader(sys.argv[1]).scalars
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "points": len(frame)}))
"""

RUNWISE_PROCESS = """
import sys
from runwise.adapters.sources.tensorboard import TensorBoardRunSource
from runwise.bootstrap import bootstrap
from runwise.entrypoints.cli.main import main
sys.exit(main(["run", sys.argv[2]], app=bootstrap(sources=[TensorBoardRunSource(sys.argv[1])])))
"""


def ensure_run(steps: int) -> Path:
    """bench/data/tensorboard<steps>/run, written once with tensorboardX."""
    folder = DATA / f"tensorboard{steps}" / "run"
    done = folder / ".complete"
    if done.exists():
        return folder
    from tensorboardX import SummaryWriter

    for old in folder.glob("*tfevents*"):
        old.unlink()
    rng = random.Random(0)
    started = time.perf_counter()
    with SummaryWriter(str(folder), max_queue=10_000, flush_secs=3600) as writer:
        for step in range(steps):
            writer.add_scalar("train/loss", 4.0 * math.exp(-step / (steps / 5)) + 0.1 * rng.random(), step)
            writer.add_scalar("train/lr", 1e-3 * min(1.0, step / 1000), step)
            writer.add_scalar("train/grad_norm", rng.lognormvariate(0, 0.5), step)
            if step % 1000 == 0:
                writer.add_scalar("val/loss", 3.0 * math.exp(-step / (steps / 5)), step)
    done.write_text("ok\n")
    size = sum(p.stat().st_size for p in folder.glob("*tfevents*"))
    print(f"wrote {steps:,} steps ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


def child(code: str, *args: str) -> tuple[dict[str, float], float, float]:
    """(what the child printed, wall seconds, peak RSS in MiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    last = out.strip().splitlines()[-1] if out.strip() else "{}"
    try:
        printed = json.loads(last)
    except json.JSONDecodeError:
        printed = {}
    return printed, wall, usage.ru_maxrss / 1024


def report(label: str, samples: list[tuple[dict[str, float], float, float]], key: str) -> float:
    values = sorted(s[0]["seconds"] if key == "load" else s[1] for s in samples)
    peak = max(s[2] for s in samples)
    points = samples[0][0].get("points")
    shown = f"{int(points):>10,}" if points is not None else f"{'':>10}"
    print(
        f"  {label:<22} best {values[0]:7.3f} s  median {values[len(values) // 2]:7.3f} s  peak RSS {peak:6.0f} MiB  points {shown}"
    )
    return values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, nargs="+", default=[100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 steps")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-tbparse", action="store_true", help="skip tbparse (slow: ~50 µs a point)")
    args = parser.parse_args()
    steps_list = list(args.steps) + ([1_000_000] if args.million and 1_000_000 not in args.steps else [])
    for steps in steps_list:
        folder = ensure_run(steps)
        size = sum(p.stat().st_size for p in folder.glob("*tfevents*"))
        print(f"{steps:,} steps, {size / 1e6:.1f} MB of events ({folder})")
        root = str(folder.parent)
        ours = report("runwise load", [child(RUNWISE_LOAD, root, "run") for _ in range(args.repeat)], "load")
        report("runwise run (process)", [child(RUNWISE_PROCESS, root, "run") for _ in range(args.repeat)], "wall")
        if not args.no_tbparse and steps <= 200_000:
            theirs = report(
                "tbparse load", [child(TBPARSE_LOAD, str(folder)) for _ in range(max(1, args.repeat - 1))], "load"
            )
            print(f"  speed-up over tbparse: {theirs / ours:.0f}x")


if __name__ == "__main__":
    main()
