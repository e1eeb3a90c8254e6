"""Loading a large W&B offline run (binary `.wandb` file) with Runwise's local source, with peak memory.

The run logs 8 metrics at every step (`train/loss`, `train/acc`, `lr`, `grad_norm`,
`samples_per_sec`, `epoch`, `train/ppl`, `gpu/mem`), as `wandb.log({...}, step=s)` does. Each
figure comes from a fresh child process: the load time is measured inside it (imports excluded,
file in the page cache after a first read), and peak RSS is the child's own maximum resident size.
The reader decodes 4 MiB segments (on one thread unless asked for more); wall and CPU time are both
printed, with the machine's load average (other processes share the cores).

Writers (`--writer`):
- `wandb`: the real `wandb` package (0.31 here), WANDB_MODE=offline, in a child process. About
  18 s per 100k steps, so it is the default up to 200k steps.
- `proto`: the same records built with wandb's own protobuf classes
  (`wandb.proto.wandb_internal_pb2`: a run record, then per step the `_runtime` summary tick, the
  summary echo and the HistoryRecord with items in shuffled order, as wandb-core writes them, then
  an exit record), framed by the LevelDB-log writer below (wandb 0.31 ships no Python writer; its
  writer lives in the Go core). The default above 200k steps.

`--threads 1 2` compares decoding thread counts instead: whole cold processes of `runwise --no-cache --dir ROOT run
latest`, the counts taking turns, medians of --repeat with CPU (user + system) and peak RSS, and the load average.

Usage: python bench/bench_wandb.py [--steps 100000] [--million] [--writer auto|wandb|proto] [--repeat 3]
       [--threads 1 2]
Data is generated once into bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parent
METRICS = ("train/loss", "train/acc", "lr", "grad_norm", "samples_per_sec", "epoch", "train/ppl", "gpu/mem")

LOAD = """
import json, resource, sys, time
from runwise.adapters.sources.wandb_local import WandbLocalRunSource
root, run_id = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
source = WandbLocalRunSource(root)
start = time.perf_counter()
infos = source.list_runs()
listed = time.perf_counter() - start
start, cpu = time.perf_counter(), time.process_time()
run = source.load_run(run_id)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
points = sum(len(s) for s in run.series.values())
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "list_seconds": listed, "points": points, "keys": len(run.series),
                  "rss_before_mb": before / 1024, "rss_peak_mb": peak / 1024, "warnings": list(run.warnings),
                  "wandb_imported": "wandb" in sys.modules}))
"""


def row(step: int, steps: int, rng: random.Random) -> dict[str, float]:
    loss = 4.0 * math.exp(-step / (steps / 5)) + 0.4 + rng.gauss(0, 0.03)
    return {
        "train/loss": loss,
        "train/acc": 1 - loss / 5,
        "lr": 3e-4 * 0.5 * (1 + math.cos(math.pi * step / steps)),
        "grad_norm": abs(rng.gauss(1.0, 0.1)),
        "samples_per_sec": 1000 + rng.gauss(0, 10),
        "epoch": step // 1000,
        "train/ppl": math.exp(min(loss, 20)),
        "gpu/mem": 11.5,
    }


# --- writer 1: the real wandb package ------------------------------------------------------------
WANDB_WRITER = """
import math, random, sys, time
sys.path.insert(0, sys.argv[3])
from bench_wandb import row
import wandb
steps, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(0)
run = wandb.init(project="bench", id=f"bench{steps}", name=f"bench-{steps}", dir=out, mode="offline",
                 config={"lr": 3e-4, "batch_size": 64})
start = time.time()
for step in range(steps):
    wandb.log(row(step, steps, rng), step=step)
run.finish()
print(f"wrote {steps} steps in {time.time() - start:.1f} s", file=sys.stderr)
"""


def write_with_wandb(steps: int, out: Path) -> None:
    sys.path.insert(0, str(HERE.parent / "scripts"))
    from wandb_offline import offline_env

    env = offline_env(out)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", WANDB_WRITER, str(steps), str(out), str(HERE)], env=env, cwd=out, check=True)


# --- writer 2: wandb's protobuf classes + a LevelDB-log writer -------------------------------------
class LevelDBLogWriter:
    """W&B's framing: `:W&B` header, 32 KiB blocks, chunks of crc32(type+payload), length, type."""

    BLOCK = 32 * 1024

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        stream.write(b":W&B" + struct.pack("<HB", 0xBEE1, 0))
        self.offset = 7

    def write(self, payload: bytes) -> None:
        first = True
        while True:
            left = self.BLOCK - self.offset % self.BLOCK
            if left < 7:
                self.stream.write(b"\0" * left)
                self.offset += left
                left = self.BLOCK
            room = left - 7
            piece, payload = payload[:room], payload[room:]
            kind = (1 if first else 4) if not payload else (2 if first else 3)
            crc = zlib.crc32(piece, zlib.crc32(bytes([kind])))
            self.stream.write(struct.pack("<IHB", crc, len(piece), kind) + piece)
            self.offset += 7 + len(piece)
            first = False
            if not payload:
                return


def write_with_proto(steps: int, out: Path) -> None:
    from wandb.proto import wandb_internal_pb2 as pb

    run_id = f"bench{steps}"
    folder = out / "wandb" / f"offline-run-20260101_000000-{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    num = 0

    def record(**kwargs: Any) -> bytes:
        nonlocal num
        num += 1
        return pb.Record(num=num, **kwargs).SerializeToString()

    def items(cls: Any, values: dict[str, Any]) -> list[Any]:
        out_items = [cls(nested_key=[k], value_json=json.dumps(v)) for k, v in values.items()]
        rng.shuffle(out_items)  # wandb-core writes a row's items in Go map order
        return out_items

    start = 1_767_225_600.0
    with (folder / f"run-{run_id}.wandb").open("wb") as stream:
        log = LevelDBLogWriter(stream)
        log.write(record(header=pb.HeaderRecord()))
        config = pb.ConfigRecord(update=[pb.ConfigItem(key="lr", value_json="0.0003")])
        log.write(
            record(run=pb.RunRecord(run_id=run_id, project="bench", display_name=f"bench-{steps}", config=config))
        )
        for step in range(steps):
            values: dict[str, Any] = row(step, steps, rng)
            values.update(_step=step, _timestamp=start + step * 0.01, _runtime=step * 0.01)
            tick = [
                pb.SummaryItem(nested_key=["_wandb", "runtime"], value_json=str(int(step * 0.01))),
                pb.SummaryItem(key="_runtime", value_json=str(int(step * 0.01))),
            ]
            log.write(record(summary=pb.SummaryRecord(update=tick)))
            log.write(record(summary=pb.SummaryRecord(update=items(pb.SummaryItem, values))))
            history = pb.HistoryRecord(item=items(pb.HistoryItem, values), step=pb.HistoryStep(num=step))
            log.write(record(history=history))
        log.write(record(exit=pb.RunExitRecord(exit_code=0, runtime=int(steps * 0.01))))


# --- measuring ------------------------------------------------------------------------------------
def ensure(steps: int, writer: str) -> Path:
    if writer == "auto":
        writer = "wandb" if steps <= 200_000 else "proto"
    out = DATA / f"wandb-{steps}-{writer}"
    if not any(out.glob("wandb/*run-*/*.wandb")):
        print(f"writing {steps} steps with the {writer} writer into {out} ...", file=sys.stderr)
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            (write_with_wandb if writer == "wandb" else write_with_proto)(steps, Path(tmp))
            out.mkdir(parents=True, exist_ok=True)
            os.replace(Path(tmp) / "wandb", out / "wandb")
    return out


def measure(root: Path, run_id: str, repeat: int) -> list[dict[str, Any]]:
    for path in root.glob("wandb/*run-*/*.wandb"):
        with path.open("rb") as stream:  # page cache: measure decoding, not the disk
            while stream.read(16 << 20):
                pass  # read in pieces: a child forked from a big parent would inherit its peak RSS
    results = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", LOAD, str(root), run_id], capture_output=True, text=True, check=True
        )
        results.append(json.loads(out.stdout))
    return results


THREADED_CLI = """
import sys
from runwise.adapters.sources.wandb_local import reader
reader.read_wandb_file.__kwdefaults__["threads"] = int(sys.argv.pop(1))
from runwise.entrypoints.cli.console import run
sys.argv[0] = "runwise"
sys.exit(run())
"""


def compare_threads(root: Path, counts: list[int], repeat: int) -> None:
    """Whole cold `runwise run latest` processes per decoding thread count, taking turns (the load drifts)."""
    sys.path.insert(0, str(HERE))
    from bench_speed import measure as measure_process

    samples: dict[int, list[tuple[float, float, float]]] = {n: [] for n in counts}
    loads = []
    for turn in range(repeat + 1):
        for n in counts:
            argv = [sys.executable, "-c", THREADED_CLI, str(n), "--no-cache", "--dir", str(root), "run", "latest"]
            sample = measure_process(argv)
            if turn:  # the first turn fills the page and bytecode caches
                samples[n].append(sample)
            loads.append(os.getloadavg()[0])
    for n, got in samples.items():
        print(
            f"  {n} decoding thread{'s' if n != 1 else ''}: wall median {statistics.median(g[0] for g in got):.3f} s "
            f"(best {min(g[0] for g in got):.3f}), CPU median {statistics.median(g[1] for g in got):.3f} s, "
            f"peak RSS {max(g[2] for g in got):.0f} MiB"
        )
    print(f"  load average {min(loads):.2f}-{max(loads):.2f} (median {statistics.median(loads):.2f})")


def report(steps: int, writer: str, results: list[dict[str, Any]], size: int) -> None:
    seconds = sorted(r["seconds"] for r in results)
    first = results[0]
    print(
        f"{steps:>9,} steps x {len(METRICS)} metrics ({writer} writer, {size / 1e6:.0f} MB .wandb): "
        f"load best {seconds[0]:.3f} s, median {statistics.median(seconds):.3f} s over {len(seconds)} runs "
        f"(CPU best {min(r['cpu_seconds'] for r in results):.3f} s; load average {os.getloadavg()[0]:.1f}); "
        f"list_runs {min(r['list_seconds'] for r in results) * 1000:.1f} ms; "
        f"peak RSS {max(r['rss_peak_mb'] for r in results):.0f} MB "
        f"(before load {first['rss_before_mb']:.0f} MB); {first['points']:,} points in {first['keys']} keys; "
        f"wandb imported: {first['wandb_imported']}; warnings: {first['warnings'] or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also 1,000,000 steps")
    parser.add_argument("--writer", choices=("auto", "wandb", "proto"), default="auto")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", help="compare whole cold CLI calls per decoding threads")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    for steps in [args.steps] + ([1_000_000] if args.million else []):
        root = ensure(steps, args.writer)
        writer = root.name.rsplit("-", 1)[1]
        (path,) = list(root.glob("wandb/*run-*/*.wandb"))
        run_id = path.stem.removeprefix("run-")
        if args.threads:
            print(
                f"{steps:,} steps ({writer} writer, {path.stat().st_size / 1e6:.0f} MB .wandb), medians of {args.repeat}:"
            )
            compare_threads(root, args.threads, args.repeat)
            continue
        report(steps, writer, measure(root, run_id, args.repeat), path.stat().st_size)


if __name__ == "__main__":
    main()
