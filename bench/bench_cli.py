"""Whole-process time and peak RSS of `runwise run` on 100k- and 1M-step JSONL runs, beside the floor.

The floor is a process that only reads the same file and decodes each line with orjson.
Usage: python bench/bench_cli.py [--steps 100000 1000000] [--repeat 3]
Data is generated once into bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FLOOR = (
    "import orjson, sys\n"
    "with open(sys.argv[1], 'rb') as fh:\n"
    "    for line in fh:\n"
    "        try: orjson.loads(line)\n"
    "        except orjson.JSONDecodeError: pass\n"
)


def ensure_run(steps: int) -> Path:
    folder = DATA / f"jsonl{steps}"
    path = folder / f"run{steps}.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(HERE))
        from generate_jsonl import generate

        generate(steps, path)
    return path


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runwise = shutil.which("runwise") or "runwise"
    print(f"{'steps':>9}  {'command':<8}  {'best s':>7}  {'median s':>8}  {'peak MiB':>8}")
    for steps in args.steps:
        path = ensure_run(steps)
        for label, argv in (
            ("runwise", [runwise, "--dir", str(path.parent), "run", str(path)]),
            ("floor", [sys.executable, "-c", FLOOR, str(path)]),
        ):
            runs = sorted(measure(argv) for _ in range(args.repeat))
            walls = sorted(r[0] for r in runs)
            print(
                f"{steps:>9,}  {label:<8}  {walls[0]:>7.3f}  {walls[len(walls) // 2]:>8.3f}  {max(r[1] for r in runs):>8.0f}"
            )


if __name__ == "__main__":
    main()
