"""Shared by the tracker benchmarks: whole-process timing of `runwise run` and the JSONL peer of a run.

Each figure is one fresh `python -m runwise --dir ROOT run REF` process, with the data already in the
page cache; wall time and CPU time (user + system, from wait4) are both kept because other
processes share this machine's two cores: CPU time is the steadier figure when the machine is busy.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
STEPS = 100_000
NAMES = ("loss", "acc", "lr", "grad_norm")
CONTEXTS = ("train", "val")  # 4 names x 2 contexts = 8 metrics


def value(name: str, context: str, step: int) -> float:
    """The value every writer logs: deterministic, so the JSONL peer holds the same points."""
    scale = 1.0 if context == "train" else 2.0
    return scale / (step + 1) if name != "lr" else 3e-4 * (1 - step / STEPS)


def warm(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as fh:
                while fh.read(16 << 20):
                    pass


def child_env() -> dict[str, str]:
    """Bytecode caching on, kept under bench/data/: an installed package has its .pyc files, so a child
    that compiled every module (PYTHONDONTWRITEBYTECODE=1 with no __pycache__) would time the compiler."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    return env


def one_process(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime


def runwise_run(root: Path, ref: str, repeat: int) -> dict[str, float]:
    """Medians of `repeat` whole `runwise run` processes, cold: `--no-cache`, so every process parses the run."""
    warm(root)
    argv = [sys.executable, "-m", "runwise", "--dir", str(root), "--no-color", "--no-cache", "run", ref]
    one_process(argv)  # untimed: bytecode compiled once, files in the page cache
    figures = [one_process(argv) for _ in range(repeat)]
    return {
        "median_wall_s": statistics.median(f[0] for f in figures),
        "median_cpu_s": statistics.median(f[1] for f in figures),
        "best_wall_s": min(f[0] for f in figures),
    }


def jsonl_peer(folder: Path, rows: Callable[[], Iterable[dict[str, float]]]) -> Path:
    """The same points as a JSONL log (one line per step), the cheapest format Runwise reads: the floor."""
    path = folder / "peer.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("w") as fh:
            for row in rows():
                fh.write(json.dumps(row) + "\n")
    return path


def import_seconds(module: str) -> float:
    """Cumulative import time of one module in a fresh interpreter (`python -X importtime`)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True, text=True, check=True
    ).stderr
    for line in out.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1e6
    return float("nan")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())
