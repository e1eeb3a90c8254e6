"""Whole-process `runwise run` on a 100k-step x 8-metric run in each form of Neptune data, beside its JSONL peer.

Forms, each written once into bench/data/ (git-ignored):
- `offline`: the real neptune 1.x client, `neptune.init_run(mode="offline")`, `run[key].append(v, step=s)`
  (800k one-point LogFloats lines in `.neptune/offline/run__.../data-1.log`);
- `scale`: the real neptune-scale client offline, `Run(mode="offline").log_metrics({...}, step=s)`
  (100k operations in `run_operations.sqlite3`);
- `export`: neptune-exporter's Parquet schema written with pyarrow (the exporter needs Neptune's
  service, which is gone), 800k float_series rows in one part.
The 8 metrics are `train/{loss,acc,lr,grad_norm}` and `val/{loss,acc,lr,grad_norm}`, the same values
as bench_aim.py. No `neptune` package is imported when Runwise reads any of them.
Beside each of the offline and scale forms, its floor: a whole process doing only the unavoidable part of
the reading (`offline_floor`: orjson decoding every line of the logs; `scale_floor`: fetching the rows).

`--threads 1 2` compares instead the offline form's decoding threads (adapters/sources/neptune/offline_blocks.py
picks two only while the load average leaves a core idle): whole cold `runwise run` processes with the count
forced, taking turns, as the load drifts.

Usage: python bench/bench_neptune.py [--repeat 5] [--forms offline scale export] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trackers import CONTEXTS, DATA, NAMES, STEPS, jsonl_peer, load_average, one_process, runwise_run, value, warm

# Floors, each a whole process doing only the unavoidable part of reading the same files:
# offline: orjson decoding every line of every data-*.log (collector off, as the reader runs), no column built;
# scale: sqlite3 fetching every operation row, nothing decoded.
OFFLINE_FLOOR = """
import gc, sys, orjson
gc.disable()
for name in sys.argv[1:]:
    with open(name, "rb") as fh:
        rows = [orjson.loads(line) for line in fh.read().splitlines()]
"""
SCALE_FLOOR = """
import sqlite3, sys
conn = sqlite3.connect(f"file:{sys.argv[1]}?immutable=1", uri=True)
rows = conn.execute("SELECT operation_type, operation, timestamp FROM run_operations ORDER BY sequence_id").fetchall()
"""

OFFLINE_WRITER = """
import os, sys
sys.path.insert(0, sys.argv[2])
os.chdir(sys.argv[1])
import neptune
from trackers import CONTEXTS, NAMES, STEPS, value
run = neptune.init_run(mode="offline", name="bench", capture_hardware_metrics=False, source_files=[], git_ref=False)
run["parameters"] = {"lr": 3e-4}
for step in range(STEPS):
    for context in CONTEXTS:
        for name in NAMES:
            run[f"{context}/{name}"].append(value(name, context, step), step=step)
run.stop()
print(run._id)
"""

SCALE_WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
from neptune_scale import Run
from trackers import CONTEXTS, NAMES, STEPS, value
if __name__ == "__main__":
    run = Run(mode="offline", project="bench/bench", run_id="bench-scale", log_directory=sys.argv[1] + "/.neptune",
              enable_console_log_capture=False, source_tracking_config=None)
    run.log_configs({"parameters/lr": 3e-4})
    for step in range(STEPS):
        run.log_metrics({f"{c}/{n}": value(n, c, step) for c in CONTEXTS for n in NAMES}, step=step)
    run.close()
    print("bench-scale")
"""


def write_export(folder: Path) -> str:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.neptune_writers import export_schema

    schema = export_schema()
    keys = [f"{c}/{n}" for c in CONTEXTS for n in NAMES]
    steps = np.repeat(np.arange(STEPS), len(keys))
    paths = np.tile(np.array(keys, dtype=object), STEPS)
    values = np.array([value(n, c, s) for s in range(STEPS) for c in CONTEXTS for n in NAMES])
    n = steps.size
    columns = {
        "project_id": pa.array(["bench/bench"] * n),
        "run_id": pa.array(["BENCH-1"] * n),
        "attribute_path": pa.array(paths.tolist()),
        "attribute_type": pa.array(["float_series"] * n),
        "step": pa.array(steps.astype(np.int32)).cast(pa.decimal128(18, 6)),
        "timestamp": pa.array(
            (1_767_225_600_000 + steps * 10).astype("datetime64[ms]"), type=pa.timestamp("ms", tz="UTC")
        ),
        "float_value": pa.array(values),
    }
    table = pa.table({f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in schema}, schema=schema)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "BENCH-1_part_0.parquet", compression="snappy")
    return "BENCH-1"


def ensure(form: str) -> tuple[Path, str]:
    folder = DATA / f"neptune-{form}-{STEPS}"
    marker = folder / "run_id"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"writing {STEPS} steps x 8 metrics as Neptune {form} into {folder} ...", file=sys.stderr)
        if form == "export":
            run_id = write_export(folder / "data" / "bench_bench")
        else:
            code = OFFLINE_WRITER if form == "offline" else SCALE_WRITER
            out = subprocess.run([sys.executable, "-c", code, str(folder), str(Path(__file__).parent)],
                                 capture_output=True, text=True, check=True).stdout  # fmt: skip
            run_id = out.strip().splitlines()[-1]
        marker.write_text(run_id)
    return folder, marker.read_text().strip()


def floor(form: str, folder: Path, repeat: int) -> dict[str, float] | None:
    """Median wall and CPU seconds of the form's floor process (see OFFLINE_FLOOR, SCALE_FLOOR), and the bytes read."""
    if form == "offline":
        files = sorted(folder.glob(".neptune/offline/*/data-*.log"))
        code = OFFLINE_FLOOR
    elif form == "scale":
        files = sorted(folder.glob(".neptune/*/run_operations.sqlite3"))
        code = SCALE_FLOOR
    else:
        return None
    argv = [sys.executable, "-c", code, *map(str, files)]
    one_process(argv)
    figures = sorted(one_process(argv) for _ in range(repeat))
    return {
        "median_wall_s": statistics.median(f[0] for f in figures),
        "median_cpu_s": statistics.median(f[1] for f in figures),
        "megabytes": round(sum(f.stat().st_size for f in files) / 1e6, 1),
    }


THREADED_CLI = """
import sys
from runwise.adapters.sources.neptune import offline_blocks
offline_blocks.WORKERS = int(sys.argv.pop(1))
from runwise.entrypoints.cli.console import run
sys.argv[0] = "runwise"
run()
"""


def compare_threads(counts: list[int], repeat: int) -> dict[str, object]:
    """Medians of whole cold `runwise run` processes on the offline form per decoding thread count, taking turns."""
    folder, run_id = ensure("offline")
    warm(folder)
    samples: dict[int, list[tuple[float, float]]] = {n: [] for n in counts}
    loads = []
    for turn in range(repeat + 1):
        for n in counts:
            argv = [sys.executable, "-c", THREADED_CLI, str(n), "--dir", str(folder), "--no-color", "--no-cache"]
            figures = one_process([*argv, "run", run_id])
            if turn:  # the first turn fills the page and bytecode caches
                samples[n].append(figures)
            loads.append(os.getloadavg()[0])
    out: dict[str, object] = {
        f"threads_{n}": {
            "median_wall_s": statistics.median(f[0] for f in got),
            "median_cpu_s": statistics.median(f[1] for f in got),
            "best_wall_s": min(f[0] for f in got),
        }
        for n, got in samples.items()
    }
    out["load_average_1min"] = f"{min(loads):.2f}-{max(loads):.2f} (median {statistics.median(loads):.2f})"
    return out


def rows() -> list[dict[str, float]]:
    return [{"step": s, **{f"{c}/{n}": value(n, c, s) for c in CONTEXTS for n in NAMES}} for s in range(STEPS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--forms", nargs="+", default=["offline", "scale", "export"])
    parser.add_argument("--threads", type=int, nargs="+", help="compare the offline form's decoding thread counts")
    args = parser.parse_args()
    if args.threads:
        print(json.dumps(compare_threads(args.threads, args.repeat), indent=2))
        return
    report: dict[str, object] = {"steps": STEPS, "metrics": 8, "repeat": args.repeat}
    for form in args.forms:
        folder, run_id = ensure(form)
        report[form] = runwise_run(folder, run_id, args.repeat)
        report[f"{form}_floor"] = floor(form, folder, args.repeat)
    peer = jsonl_peer(DATA / f"aim-{STEPS}-peer", rows)
    report["jsonl_peer"] = runwise_run(peer.parent, "peer", args.repeat)
    report["load_average"] = load_average()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
