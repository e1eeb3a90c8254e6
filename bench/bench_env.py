"""The start-up settings the `runwise` script makes for itself, each against its opposite, as whole processes.

`runwise` (entrypoints/cli/console.py) sets two environment variables unless the user has: one OpenBLAS thread
(`OPENBLAS_NUM_THREADS=1`) and no pydantic plugin lookup (`PYDANTIC_DISABLE_PLUGINS=__all__`). This runs
`runwise --no-cache --dir ROOT run latest` on the 100k-step W&B and JSONL bench runs in interleaved fresh processes,
once as shipped and once with a variable set the other way (`OPENBLAS_NUM_THREADS=<cores>`, OpenBLAS's own default;
`PYDANTIC_DISABLE_PLUGINS=` empty, pydantic's), and prints medians of wall, CPU (user + system) and peak RSS.
Interleaving puts both variants under the same load; CPU is the figure other processes disturb least.
`--instructions` instead counts, with callgrind (all threads, one run each; load cannot move the count), the
instructions of a cold `runwise --no-cache --dir examples run latest` and of the 100k-step W&B run: the figure
the start-up changes of `domain/shared_repr.py`, `domain/medians.py` and `adapters/lazy_sources.py` quote
(run it on an older checkout for the "before").
Usage: python bench/bench_env.py [--repeat 15] [--formats wandb jsonl] [--variable OPENBLAS_NUM_THREADS]
       python bench/bench_env.py --instructions
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_mlflow import instructions  # noqa: E402
from bench_speed import data, measure, runwise_argv  # noqa: E402

OPPOSITES = {"OPENBLAS_NUM_THREADS": str(os.cpu_count() or 1), "PYDANTIC_DISABLE_PLUGINS": ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--formats", nargs="+", default=["wandb", "jsonl"])
    parser.add_argument("--variable", nargs="+", default=list(OPPOSITES), choices=list(OPPOSITES))
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind instead")
    args = parser.parse_args()
    if args.instructions:
        examples = HERE.parent / "examples"
        instructions("example runs, cold", [*runwise_argv(), "--no-cache", "--dir", str(examples), "run", "latest"])
        root, _ = data("wandb", 100_000)
        instructions("W&B 100k, cold", [*runwise_argv(), "--no-cache", "--dir", str(root), "run", "latest"])
        return
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    for fmt in args.formats:
        root, _ = data(fmt, 100_000)
        argv = [*runwise_argv(), "--no-cache", "--dir", str(root), "run", "latest"]
        for variable in args.variable:
            variants = {"as shipped": {}, f"{variable}={OPPOSITES[variable]!r}": {variable: OPPOSITES[variable]}}
            samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in variants}
            for _ in range(args.repeat):
                for label, extra in variants.items():
                    samples[label].append(measure(argv, extra))
            print(f"{fmt} 100,000 steps, {variable}")
            for label, rows in samples.items():
                wall, cpu, rss = (statistics.median(r[i] for r in rows) for i in range(3))
                best = min(r[0] for r in rows)
                print(f"  {label:<36} wall {wall:.3f} s (best {best:.3f})  CPU {cpu:.3f} s  peak RSS {rss:4.0f} MiB")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
