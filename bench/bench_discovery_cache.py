"""Discovery under MCP: listing 180 runs afresh vs reusing the listing while nothing changed.

180 runs (120 JSONL logs of 2,000 lines, 60 TensorBoard runs of 500 scalars written by
tensorboardX) are written once into a temporary folder. `fresh` clears the listing and lists again
(what every MCP tool call did); `cached` lists with the MCP server's discovery stamp set (one
scandir per folder, no file opened).

Usage: python bench/bench_discovery_cache.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _write(root: Path) -> None:
    from tensorboardX import SummaryWriter

    for i in range(120):
        folder = root / f"exp{i // 10}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = ({"step": s, "loss": 1 / (s + 1), "acc": s / 2000, "_timestamp": 1.7e9 + s} for s in range(2000))
        (folder / f"run{i}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for i in range(60):
        with SummaryWriter(str(root / "tb" / f"run{i}")) as writer:
            for s in range(500):
                writer.add_scalar("loss", 1 / (s + 1), s)


def _timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from runwise.adapters.fs import discovery_stamp
    from runwise.bootstrap import bootstrap
    from runwise.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        _write(root)
        app = bootstrap(Settings.load(cwd=root, env={}, roots=[root]))
        catalog = app.catalog
        print(f"runs: {len(catalog.list_runs())}")
        fresh = _timed(lambda: (catalog._listed.clear(), catalog.list_runs()), args.repeat)
        catalog.discovery_stamp = lambda: discovery_stamp([str(root)])
        catalog.list_runs()
        cached = _timed(catalog.list_runs, args.repeat)
        print(f"fresh listing:  median {fresh[0]:.3f} s (min {fresh[1]:.3f})")
        print(f"cached listing: median {cached[0] * 1000:.1f} ms (min {cached[1] * 1000:.1f})")


if __name__ == "__main__":
    main()
