"""The parsed-run cache's file format: runwise's numpy layout (one file, memory-mapped) against Arrow IPC.

A JSONL run (100k steps by default, 1M with --steps 1000000) is parsed once; then, in this process, each layout
is written and read back `--repeat` times from the page cache. "load" is opening the entry and getting every
series as numpy arrays (no copy for either: np.frombuffer over mmap / pa.memory_map + to_numpy(zero_copy_only));
"load+touch" also sums every array once, so page faults are counted. Arrow needs one IPC file per distinct
series length (a record batch has one length); the numpy layout stores steps shared by several metrics once.
Needs pyarrow (`pip install pyarrow`; not a runwise dependency).
Usage: python bench/bench_cache_formats.py [--steps 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def main() -> None:
    import pyarrow as pa
    from bench_cli import ensure_run

    from runwise.adapters.cache.store import DiskRunStore
    from runwise.adapters.sources.jsonl import JsonlRunSource
    from runwise.ports.run_store import StoredRun

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    path = ensure_run(args.steps)
    run = JsonlRunSource(path.parent).load_run(path.stem)
    points = sum(len(s) for s in run.series.values())
    print(f"{args.steps:,} steps, {len(run.series)} series, {points:,} points; pyarrow {pa.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        store = DiskRunStore(Path(tmp) / "np")
        entry = StoredRun(run, "x", 0.0, None)

        def np_load(touch: bool) -> None:
            got = store.get("k")
            assert got is not None
            if touch:
                for s in got.run.series.values():
                    s.steps.sum(), s.values.sum()

        arrow_dir = Path(tmp) / "arrow"
        arrow_dir.mkdir()

        def arrow_write() -> None:
            groups: dict[int, dict[str, np.ndarray]] = {}
            for key, s in run.series.items():
                cols = groups.setdefault(len(s), {})
                cols[f"{key}\x00steps"], cols[f"{key}\x00values"] = s.steps, s.values
                if s.wall_time is not None:
                    cols[f"{key}\x00wall"] = s.wall_time
            for n, cols in groups.items():
                table = pa.table({k: pa.array(v) for k, v in cols.items()})
                with pa.OSFile(str(arrow_dir / f"{n}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                    w.write_table(table)

        def arrow_load(touch: bool) -> None:
            for file in arrow_dir.glob("*.arrow"):
                table = pa.ipc.open_file(pa.memory_map(str(file), "r")).read_all()
                for column in table.columns:
                    array = column.chunk(0).to_numpy(zero_copy_only=True)
                    if touch:
                        array.sum()

        rows = [
            ("numpy layout: write", lambda: store.put("k", entry)),
            ("numpy layout: load", lambda: np_load(False)),
            ("numpy layout: load+touch", lambda: np_load(True)),
            ("Arrow IPC: write", arrow_write),
            ("Arrow IPC: load", lambda: arrow_load(False)),
            ("Arrow IPC: load+touch", lambda: arrow_load(True)),
        ]
        for label, fn in rows:
            median, best = timed(fn, args.repeat)
            print(f"  {label:<26} median {median * 1000:8.2f} ms  best {best * 1000:8.2f} ms")
        np_size = sum(p.stat().st_size for p in (Path(tmp) / "np").rglob("*.run"))
        arrow_size = sum(p.stat().st_size for p in arrow_dir.glob("*.arrow"))
        print(f"  on disk: numpy layout {np_size / 1e6:.1f} MB, Arrow IPC {arrow_size / 1e6:.1f} MB")
    for module in ("numpy", "pyarrow"):
        argv = [sys.executable, "-c", f"import {module}"]
        median, best = timed(lambda argv=argv: subprocess.run(argv, check=True), 5)
        print(f"  process importing {module:<8} median {median * 1000:8.1f} ms  best {best * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
