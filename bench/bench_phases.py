"""Where a cold `runwise run` spends its time, phase by phase, for each format: one fresh process per sample.

Phases: interpreter and imports (everything `runwise run` imports, measured in the child before any work),
listing runs, parsing the log into columns (`load_run`; for JSONL split further into orjson decoding and
columnarising with cProfile), analysis (every detector on every point), and building, fitting and rendering the
summary. Each phase is printed as wall seconds and, beside it, the process's CPU seconds (user + system), which
other processes on a shared machine disturb less. Medians of --repeat fresh processes; the load average is
printed (the machine may be shared).
--stages splits parsing further for W&B and JSONL: a second `load_run` in the same child with the decoding
stages wrapped by CPU timers of the thread running them (W&B decodes segments on two threads; a stage's figure is
the sum over threads): framing, CRC checks, record types, history items with their key hashes, key grouping,
value texts, summary records, filing the columns; JSONL: reading blocks, the flat path (orjson part apart), the
row-dict path, building the series.
Usage: python bench/bench_phases.py [--steps 100000] [--repeat 5] [--formats jsonl tensorboard wandb] [--stages]
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
c0 = time.process_time()
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
t1, c1 = time.perf_counter(), time.process_time()
root = Path(sys.argv[1])
sources = [s for s in local_sources(root, Settings()) if s.name == sys.argv[2]]
(source,) = sources
info = source.list_runs()[0]
t2, c2 = time.perf_counter(), time.process_time()
run = source.load_run(info.id)
t3, c3 = time.perf_counter(), time.process_time()
analysis = analyze(run, MetricSchema())
t4, c4 = time.perf_counter(), time.process_time()
summary = build_summary(run, MetricSchema(), headline=analysis.headline, anomalies=analysis.anomalies,
                        recommendations=analysis.recommendations)
fitted = fit_summary(summary, "latest", renderer=MarkdownRenderer(), counter=default_counter("estimate"), budget=400)
t5, c5 = time.perf_counter(), time.process_time()
split = {}
if sys.argv[2] == "jsonl":
    import cProfile, pstats
    profile = cProfile.Profile()
    profile.enable(); source.load_run(info.id); profile.disable()
    stats = pstats.Stats(profile).stats
    total = sum(v[2] for v in stats.values())
    decode = sum(v[2] for k, v in stats.items() if "orjson.loads" in k[2])
    split = {"orjson_share": decode / total}
if sys.argv[3] == "1":
    split.update({"stage:" + k: v for k, v in stage_times(source, info.id).items()})
cpu = {"cpu:imports": c1, "cpu:list": c2 - c1, "cpu:parse": c3 - c2, "cpu:analysis": c4 - c3, "cpu:summary": c5 - c4}
print(json.dumps({"imports": t1 - t0, "list": t2 - t1, "parse": t3 - t2, "analysis": t4 - t3, "summary": t5 - t4,
                  "points": sum(len(s) for s in run.series.values()), **cpu, **split}))
"""

STAGES = r"""
import collections, functools, importlib, time

def stage_times(source, run_id):
    spent = collections.Counter()

    def timed(owner, name, stage, eager=False):
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            start = time.thread_time()
            try:
                out = original(*args, **kwargs)
                return list(out) if eager else out
            finally:
                spent[stage] += time.thread_time() - start

        setattr(owner, name, wrapper)

    def mod(name):
        return importlib.import_module("runwise.adapters.sources." + name)

    if source.name == "wandb":
        batches, history, reader, summary = mod("wandb_local.batches"), mod("wandb_local.history"), mod("wandb_local.reader"), mod("wandb_local.summary")
        timed(batches, "walk_chunks", "framing")
        timed(batches, "_records", "framing")
        timed(batches, "_read_into", "reading")
        timed(batches.RecordBatch, "verified", "CRC checks")
        timed(reader, "classify", "record types")
        timed(reader, "_runtime_ticks", "record types")
        timed(reader, "_echoes", "record types")
        timed(history, "history_items", "history items and key hashes")
        timed(history, "groups", "key grouping", eager=True)
        timed(history, "numbers", "value texts")
        timed(reader, "add_summary_records", "summary records")
        timed(history.HistoryBuilder, "add", "filing columns")
        timed(history.HistoryBuilder, "series", "filing columns")
        timed(reader._FileReader, "decode", "decode (all stages on the workers)")
    else:
        parser, flat = mod("jsonl.parser"), mod("jsonl.flat")
        import orjson
        timed(parser, "iter_blocks", "reading blocks", eager=True)
        timed(parser, "decode_flat", "flat path")
        shim = type("OrjsonShim", (), {"JSONDecodeError": orjson.JSONDecodeError, "loads": staticmethod(orjson.loads)})
        flat.orjson = shim
        timed(shim, "loads", "flat path: of which orjson")
        timed(parser, "parse_block", "row-dict path")
        timed(parser.ColumnBuilder, "add", "row-dict path")
        timed(parser.ColumnBuilder, "build", "building series")
    start = time.process_time()
    source.load_run(run_id)
    spent["load_run (process CPU)"] = time.process_time() - start
    return dict(spent)
"""


def main() -> None:
    from bench_speed import child_env, data

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["jsonl", "tensorboard", "wandb"])
    parser.add_argument("--stages", action="store_true", help="split parsing into decoding stages (W&B, JSONL)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} fresh processes, seconds")
    names = {"jsonl": "jsonl", "tensorboard": "tensorboard", "wandb": "wandb"}
    for fmt in args.formats:
        root, _log = data(fmt, args.steps)
        samples = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, "-c", STAGES + CHILD, str(root), names[fmt], "1" if args.stages else "0"],
                env=child_env(),
                capture_output=True,
                text=True,
            )
            if out.returncode:
                raise SystemExit(out.stderr)
            samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
        med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
        phases = ("imports", "list", "parse", "analysis", "summary")
        line = "  ".join(f"{k} {med[k]:.3f}" for k in phases)
        cpu = "  ".join(f"{k} {med['cpu:' + k]:.3f}" for k in phases)
        extra = f"  (orjson decoding {med['orjson_share']:.0%} of parsing)" if "orjson_share" in med else ""
        print(f"{fmt:<12} {args.steps:,} steps, {int(med['points']):,} points: {line}{extra}")
        print(f"{'':<12} CPU (user+sys): {cpu}")
        for key in sorted((k for k in med if k.startswith("stage:")), key=lambda k: -med[k]):
            print(f"{'':<14}{key[6:]:<36} {med[key]:.3f} s CPU")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
