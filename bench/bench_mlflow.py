"""MLflow sqlite store: whole `runwise run` process (every point of every metric analysed) vs MlflowClient.

The run has 8 metrics x N steps (100k by default; `--million` adds 1M) in an MLflow sqlite store. The store,
experiment, run, params and final status are written by the real `mlflow` client; the metric rows are
inserted with one SQL `executemany` in exactly the rows MLflow writes (`metrics` + `latest_metrics`),
because logging 8M points through `MlflowClient.log_batch` takes hours (~2.5k points/s measured here).
MLflow's own `get_metric_history` then reads them back, which checks the rows are ones MLflow accepts.

Measured, each as fresh processes, median and best of --repeat (default 5) wall and CPU seconds, with peak RSS:
- runwise: `runwise --no-cache --dir STORE run bench-N` (cold: nothing kept from before; the .db is in
  the page cache, so this is decoding and analysis, not the disk);
- floor: a process that only runs the same SQL over the same rows with stdlib sqlite3 (no analysis);
- peer: a process calling `MlflowClient(uri).get_metric_history(run_id, key)` for every key (at 1M
  steps for one key only, and --peer-repeat times, default 1: it takes minutes).
Children run with bytecode caching on. The load average is printed before and after: the machine may be shared.
- phases (--phases): the same command in a child that times listing, reading (SQL and text parsing apart,
  as CPU of the reading threads), analysis and rendering, by wrapping those functions.
- instructions (--instructions): the runwise process and the floor counted by `valgrind --tool=callgrind`
  (every thread's instructions, one run each): unlike times, the machine's load cannot move these counts, so
  they compare two trees on a shared machine (they leave out system time and memory stalls; 100k only). Under
  valgrind SQLite rounds some decimal literals, so the child keeps the literal queries a native run takes.
Usage: python bench/bench_mlflow.py [--million] [--repeat 5] [--peer-repeat 1] [--skip-peer] [--phases] [--instructions]
Data is generated once into bench/data/mlflow<N>/ (git-ignored); needs `pip install mlflow`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
KEYS = [f"train/metric{i}" for i in range(8)]
BASE_MS = 1_767_225_600_000

CREATE = """
import sys
from mlflow import MlflowClient
from mlflow.entities import Param
client = MlflowClient(sys.argv[1])
exp = client.create_experiment("bench")
run = client.create_run(exp, run_name=sys.argv[2], start_time=int(sys.argv[3]))
client.log_batch(run.info.run_id, params=[Param("lr", "0.001"), Param("batch_size", "64")])
print(run.info.run_id)
"""
FINISH = """
import sys
from mlflow import MlflowClient
MlflowClient(sys.argv[1]).set_terminated(sys.argv[2], status="FINISHED", end_time=int(sys.argv[3]))
"""
FLOOR = """
import sqlite3, sys
conn = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for (key,) in conn.execute("SELECT key FROM latest_metrics WHERE run_uuid = ?", (sys.argv[2],)).fetchall():
    conn.execute("SELECT step, value, timestamp, is_nan FROM metrics WHERE run_uuid = ? AND key = ?",
                 (sys.argv[2], key)).fetchall()
"""
PHASES = """
import json, sys, threading, time
T0, C0 = time.perf_counter(), time.process_time()
marks, cpu = {}, {"sql": 0.0, "parse": 0.0}
lock = threading.Lock()
def mark(label):
    marks[label] = (time.perf_counter() - T0, time.process_time() - C0)
def wrap(owner, name, label):
    inner = getattr(owner, name)
    def timed(*args, **kwargs):
        mark(label + " start")
        try:
            return inner(*args, **kwargs)
        finally:
            mark(label + " end")
    setattr(owner, name, timed)
def thread_cpu(owner, name, bucket):
    inner = getattr(owner, name)
    def timed(*args, **kwargs):
        start = time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            with lock:
                cpu[bucket] += time.thread_time() - start
    setattr(owner, name, timed)
mark("python started")
from runwise.adapters.sources.mlflow import source, sql_bulk
from runwise.services import summarize
wrap(source.MlflowRunSource, "list_runs", "listing")
wrap(source.MlflowRunSource, "load_run", "load_run")
wrap(summarize, "build_run_summary", "summary")
thread_cpu(sql_bulk, "_integers", "parse")
thread_cpu(sql_bulk, "_codes", "parse")
inner_chunk = sql_bulk._chunk
def chunk(*args, **kwargs):  # SQL time of a chunk = its thread CPU minus the parsing inside it
    start = time.thread_time()
    try:
        return inner_chunk(*args, **kwargs)
    finally:
        with lock:
            cpu["sql"] += time.thread_time() - start
sql_bulk._chunk = chunk
import contextlib, io
sys.argv = ["runwise", "--no-cache", "--dir", sys.argv[1], "run", sys.argv[2]]
from runwise.entrypoints.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
mark("end")
print(json.dumps({"marks": marks, "cpu": cpu}), file=sys.stderr)
"""
# valgrind's emulated floating point makes SQLite round some decimal literals, so under it the reader would take
# the bound-parameter queries; counting the process natives run means keeping the literal ones
COUNTED = """
import sys
from runwise.adapters.sources.mlflow import sql_bulk
sql_bulk._chosen = sql_bulk._Queries(literal=True)
sys.argv = ["runwise", "--no-cache", "--dir", sys.argv[1], "run", sys.argv[2]]
from runwise.entrypoints.cli.console import run
run()
"""
PEER = """
import sys
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
for key in sys.argv[3:]:
    client.get_metric_history(sys.argv[2], key)
"""


def ensure_store(steps: int) -> tuple[Path, str]:
    """The store folder and run id of an N-step run, written once."""
    import numpy as np

    folder = DATA / f"mlflow{steps}"
    db, id_file = folder / "mlflow.db", folder / "run_id"
    if id_file.exists():
        return folder, id_file.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    uri = f"sqlite:///{db}"
    env = {**os.environ, "GIT_PYTHON_REFRESH": "quiet"}
    name = f"bench-{steps}"
    run_id = subprocess.run([sys.executable, "-c", CREATE, uri, name, str(BASE_MS)], env=env, check=True,
                            capture_output=True, text=True).stdout.strip().splitlines()[-1]  # fmt: skip
    import sqlite3

    rng = np.random.default_rng(0)
    s = np.arange(steps)
    with sqlite3.connect(db) as conn:
        for i, key in enumerate(KEYS):
            values = 4.0 * np.exp(-5.0 * s / steps) + 0.05 * rng.standard_normal(steps) + 0.1 * i
            times = BASE_MS + s * 10
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                zip([key] * steps, values.tolist(), times.tolist(), [run_id] * steps, s.tolist()),
            )
            conn.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)",
                (key, float(values[-1]), int(times[-1]), steps - 1, run_id),
            )
    conn.close()
    subprocess.run([sys.executable, "-c", FINISH, uri, run_id, str(BASE_MS + steps * 10)], env=env, check=True)
    id_file.write_text(run_id)
    return folder, run_id


def child_env() -> dict[str, str]:
    """Bytecode caching on (an installed package has its .pyc files), kept under bench/data/."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    return env


def measure(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process.

    CPU time is printed beside wall time because on a shared machine wall time mostly measures the
    other tenants; CPU time is what the process itself spent."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: the summary found a critical problem
        raise SystemExit(f"{argv} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def report(label: str, argv: list[str], repeat: int) -> None:
    measure(argv)  # untimed first call: bytecode compiled, files in the page cache
    runs = [measure(argv) for _ in range(repeat)]
    walls, cpus = [w for w, _, _ in runs], [c for _, c, _ in runs]
    print(f"{label:<34} wall median {statistics.median(walls):7.3f} s best {min(walls):7.3f} s  "
          f"cpu median {statistics.median(cpus):7.3f} s best {min(cpus):7.3f} s  "
          f"peak {max(m for _, _, m in runs):6.0f} MiB  (n={repeat})", flush=True)  # fmt: skip


def instructions(label: str, argv: list[str]) -> None:
    """Instructions one run of `argv` executes, all threads, counted by callgrind (needs valgrind)."""
    import re
    import shutil

    if shutil.which("valgrind") is None:
        print(f"{label:<34} valgrind not found: install it to count instructions", flush=True)
        return
    tool = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    proc = subprocess.run(tool + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=child_env())
    found = re.search(r"Collected : (\d+)", proc.stderr)
    count = f"{int(found.group(1)) / 1e9:7.2f} G instructions" if found else "no count (see valgrind's output)"
    print(f"{label:<34} {count}", flush=True)


def phases(folder: Path, ref: str, repeat: int) -> None:
    """Where the time of one `runwise run` goes (medians of `repeat` processes, wall s; CPU of the threads)."""
    import json

    runs = []
    for _ in range(repeat + 1):
        proc = subprocess.run([sys.executable, "-c", PHASES, str(folder), ref], env=child_env(), capture_output=True,
                              text=True, check=False)  # fmt: skip
        runs.append(json.loads(proc.stderr.strip().splitlines()[-1]))
    runs = runs[1:]  # the first one warms the page cache and bytecode

    def median(fn: Callable[[dict[str, Any]], float]) -> float:
        return float(statistics.median(fn(r) for r in runs))

    def at(label: str) -> Callable[[dict[str, Any]], float]:
        return lambda r: float(r["marks"][label][0])

    spans = [
        ("python start + imports to listing", lambda r: r["marks"]["listing start"][0]),
        ("listing the store (runs, tags)", lambda r: r["marks"]["listing end"][0] - r["marks"]["listing start"][0]),
        ("resolving, imports to reading", lambda r: r["marks"]["load_run start"][0] - r["marks"]["listing end"][0]),
        (
            "reading + columnarising (load_run)",
            lambda r: r["marks"]["load_run end"][0] - r["marks"]["load_run start"][0],
        ),
        ("  of which SQL + decoding (CPU, threads)", lambda r: r["cpu"]["sql"] - r["cpu"]["parse"]),
        ("  of which text parsing (CPU)", lambda r: r["cpu"]["parse"]),
        ("analysis (summary after load)", lambda r: r["marks"]["summary end"][0] - r["marks"]["load_run end"][0]),
        ("render + exit", lambda r: r["marks"]["end"][0] - r["marks"]["summary end"][0]),
        ("whole (in-process clock)", at("end")),
    ]
    for label, fn in spans:
        print(f"  {label:<38} {median(fn):7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--million", action="store_true", help="also 1M steps x 8 metrics")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-repeat", type=int, default=1)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--phases", action="store_true", help="also break one run's time into phases")
    parser.add_argument("--instructions", action="store_true", help="also count instructions with valgrind (100k)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for steps in [100_000] + ([1_000_000] if args.million else []):
        folder, run_id = ensure_store(steps)
        db = folder / "mlflow.db"
        print(f"== {steps:,} steps x {len(KEYS)} metrics ({db.stat().st_size / 2**20:.0f} MiB store)")
        report("runwise run (cold, --no-cache)",
               [sys.executable, "-m", "runwise", "--no-cache", "--dir", str(folder), "run", f"bench-{steps}"],
               args.repeat)  # fmt: skip
        report("floor: sqlite3 fetchall only", [sys.executable, "-c", FLOOR, str(db), run_id], args.repeat)
        if args.instructions and steps <= 100_000:
            instructions(
                "runwise run (cold, --no-cache)", [sys.executable, "-c", COUNTED, str(folder), f"bench-{steps}"]
            )
            instructions("floor: sqlite3 fetchall only", [sys.executable, "-c", FLOOR, str(db), run_id])
        if args.phases:
            phases(folder, f"bench-{steps}", args.repeat)
        if not args.skip_peer:
            keys = KEYS if steps <= 100_000 else KEYS[:1]
            report(f"peer: MlflowClient history, {len(keys)} key{'s' if len(keys) > 1 else ''}",
                   [sys.executable, "-c", PEER, f"sqlite:///{db}", run_id, *keys], args.peer_repeat)  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
