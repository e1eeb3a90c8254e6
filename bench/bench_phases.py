"""Where a cold `runwise run` spends its time, phase by phase, for each format: one fresh process per sample.

Phases: interpreter and imports (everything `runwise run` imports, measured in the child before any work),
listing runs, parsing the log into columns (`load_run`; for JSONL split further into orjson decoding and
columnarising with cProfile), analysis (every detector on every point), and building, fitting and rendering the
summary. Medians of --repeat fresh processes; the load average is printed (the machine may be shared).
Usage: python bench/bench_phases.py [--steps 100000] [--repeat 5] [--formats jsonl tensorboard wandb]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from runwise.adapters.renderers.tabular import MarkdownRenderer
from runwise.adapters.tokens import default_counter
from runwise.bootstrap import local_sources
from runwise.config import Settings
from runwise.domain.analysis import analyze
from runwise.domain.schema import MetricSchema
from runwise.domain.summary import build_summary
from runwise.services.summarize import fit_summary
from pathlib import Path
t1 = time.perf_counter()
root = Path(sys.argv[1])
sources = [s for s in local_sources(root, Settings()) if s.name == sys.argv[2]]
(source,) = sources
info = source.list_runs()[0]
t2 = time.perf_counter()
run = source.load_run(info.id)
t3 = time.perf_counter()
analysis = analyze(run, MetricSchema())
t4 = time.perf_counter()
summary = build_summary(run, MetricSchema(), headline=analysis.headline, anomalies=analysis.anomalies,
                        recommendations=analysis.recommendations)
fitted = fit_summary(summary, "latest", renderer=MarkdownRenderer(), counter=default_counter("estimate"), budget=400)
t5 = time.perf_counter()
split = {}
if sys.argv[2] == "jsonl":
    import cProfile, pstats
    profile = cProfile.Profile()
    profile.enable(); source.load_run(info.id); profile.disable()
    stats = pstats.Stats(profile).stats
    total = sum(v[2] for v in stats.values())
    decode = sum(v[2] for k, v in stats.items() if "orjson.loads" in k[2])
    split = {"orjson_share": decode / total}
print(json.dumps({"imports": t1 - t0, "list": t2 - t1, "parse": t3 - t2, "analysis": t4 - t3, "summary": t5 - t4,
                  "points": sum(len(s) for s in run.series.values()), **split}))
"""


def main() -> None:
    from bench_speed import child_env, data

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["jsonl", "tensorboard", "wandb"])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} fresh processes, seconds")
    names = {"jsonl": "jsonl", "tensorboard": "tensorboard", "wandb": "wandb"}
    for fmt in args.formats:
        root, _log = data(fmt, args.steps)
        samples = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(root), names[fmt]], env=child_env(), capture_output=True, text=True
            )
            if out.returncode:
                raise SystemExit(out.stderr)
            samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
        med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
        line = "  ".join(f"{k} {med[k]:.3f}" for k in ("imports", "list", "parse", "analysis", "summary"))
        extra = f"  (orjson decoding {med['orjson_share']:.0%} of parsing)" if "orjson_share" in med else ""
        print(f"{fmt:<12} {args.steps:,} steps, {int(med['points']):,} points: {line}{extra}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
