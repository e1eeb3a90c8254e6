"""Loading a large TensorBoard scalar file: Runwise's reader against tbparse, with peak memory.

The file is written by tensorboardX the way a PyTorch loop logs: `train/loss`, `train/lr` and
`train/grad_norm` at every step and `val/loss` every 1000 steps (3 records per step). Each figure
comes from a fresh child process: the load time is measured inside it (imports excluded), peak RSS
is the child's, and "process" is the wall time of a whole `runwise run`-like process (start-up,
imports, discovery, load, summary) built with the TensorBoard source.

With --decoders it also times three ways to decode the same records in-process: a per-record loop
over protobuf message classes built at run time (descriptor_pb2 + GetMessageClass, upb backend), the
hand-written per-record decoder (events.py), and the columnar decoder the source uses.

Usage: python bench/bench_tensorboard.py [--steps 100000] [--million] [--tf2] [--repeat 3] [--no-tbparse] [--decoders]
Data is generated once into bench/data/ (git-ignored); writing 1M steps takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

RUNWISE_LOAD = """
import json, resource, sys, time
from runwise.adapters.sources.tensorboard import TensorBoardRunSource
root, run_id = sys.argv[1], sys.argv[2]
start = time.perf_counter()
run = TensorBoardRunSource(root).load_run(run_id)
seconds = time.perf_counter() - start
points = sum(len(s) for s in run.series.values())
print(json.dumps({"seconds": seconds, "points": points}))
"""

TBPARSE_LOAD = """
import json, sys, time
from tbparse import SummaryReader
start = time.perf_counter()
reader = SummaryReader(sys.argv[1])
frame = reader.tensors if sys.argv[2] == "tf2" else reader.scalars
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "points": len(frame)}))
"""

RUNWISE_PROCESS = """
import sys
from runwise.adapters.sources.tensorboard import TensorBoardRunSource
from runwise.bootstrap import bootstrap
from runwise.entrypoints.cli.main import main
sys.exit(main(["run", sys.argv[2]], app=bootstrap(sources=[TensorBoardRunSource(sys.argv[1])])))
"""


def _protobuf_event_class() -> type:
    """Minimal Event/Summary/Value/TensorProto messages, defined at run time (no tensorboard import)."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.message_factory import GetMessageClass

    proto = descriptor_pb2.FileDescriptorProto(name="bench_event.proto", package="bench", syntax="proto3")
    field = descriptor_pb2.FieldDescriptorProto
    optional, repeated = field.LABEL_OPTIONAL, field.LABEL_REPEATED
    messages = {
        "PluginData": [
            (1, "plugin_name", field.TYPE_STRING, optional, ""),
            (2, "content", field.TYPE_BYTES, optional, ""),
        ],
        "SummaryMetadata": [(1, "plugin_data", field.TYPE_MESSAGE, optional, ".bench.PluginData")],
        "Dim": [(1, "size", field.TYPE_INT64, optional, "")],
        "Shape": [(2, "dim", field.TYPE_MESSAGE, repeated, ".bench.Dim")],
        "TensorProto": [
            (1, "dtype", field.TYPE_INT32, optional, ""),
            (2, "tensor_shape", field.TYPE_MESSAGE, optional, ".bench.Shape"),
            (4, "tensor_content", field.TYPE_BYTES, optional, ""),
            (5, "float_val", field.TYPE_FLOAT, repeated, ""),
            (6, "double_val", field.TYPE_DOUBLE, repeated, ""),
        ],
        "Value": [
            (1, "tag", field.TYPE_STRING, optional, ""),
            (2, "simple_value", field.TYPE_FLOAT, optional, ""),
            (8, "tensor", field.TYPE_MESSAGE, optional, ".bench.TensorProto"),
            (9, "metadata", field.TYPE_MESSAGE, optional, ".bench.SummaryMetadata"),
        ],
        "Summary": [(1, "value", field.TYPE_MESSAGE, repeated, ".bench.Value")],
        "Event": [
            (1, "wall_time", field.TYPE_DOUBLE, optional, ""),
            (2, "step", field.TYPE_INT64, optional, ""),
            (5, "summary", field.TYPE_MESSAGE, optional, ".bench.Summary"),
        ],
    }
    for name, fields in messages.items():
        message = proto.message_type.add(name=name)
        for number, fname, ftype, label, type_name in fields:
            message.field.add(name=fname, number=number, type=ftype, label=label, type_name=type_name or None)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return GetMessageClass(pool.FindMessageTypeByName("bench.Event"))  # type: ignore[no-any-return]


def _number(value: Any) -> float:
    if not value.HasField("tensor"):
        return float(value.simple_value)
    tensor = value.tensor
    if tensor.float_val:
        return float(tensor.float_val[0])
    if tensor.double_val:
        return float(tensor.double_val[0])
    return float(struct.unpack("<f", tensor.tensor_content)[0])


def compare_decoders(folder: Path) -> None:
    """Seconds to decode every record of the file three ways, framing excluded."""
    from runwise.adapters.sources.tensorboard.columns import Columns
    from runwise.adapters.sources.tensorboard.decode import DecodeReport, decode_frames
    from runwise.adapters.sources.tensorboard.events import parse_event
    from runwise.adapters.sources.tensorboard.records import FrameReport, frame

    (path,) = sorted(folder.glob("*tfevents*"))
    buf = path.read_bytes()
    frames = frame(buf, FrameReport())
    spans = list(zip(frames.starts.tolist(), frames.lengths.tolist()))
    event_class = _protobuf_event_class()
    start = time.perf_counter()
    points = 0
    for begin, length in spans:
        event = event_class.FromString(buf[begin : begin + length])
        for value in event.summary.value:
            points += 1
            _ = (value.tag, event.step, _number(value), event.wall_time)
    print(f"  decode: protobuf messages per record  {time.perf_counter() - start:7.3f} s  ({points:,} values)")
    start = time.perf_counter()
    points = sum(len(parse_event(buf, begin, begin + length).values) for begin, length in spans)
    print(f"  decode: hand-written per record       {time.perf_counter() - start:7.3f} s  ({points:,} values)")
    start = time.perf_counter()
    columns = Columns()
    decode_frames(buf, frames, 0, columns, DecodeReport())
    points = sum(len(s) for s in columns.build().values())
    print(f"  decode: columnar (checksums included) {time.perf_counter() - start:7.3f} s  ({points:,} values)")


def ensure_run(steps: int, encoding: str = "simple") -> Path:
    """bench/data/tensorboard<steps>[-tf2]/run, written once.

    "simple": tensorboardX's SummaryWriter (simple_value, as PyTorch writes). "tf2": tensorboard's own
    `tensorboard.summary.Writer` (rank-0 float tensors of the scalars plugin, as TF2 writes).
    """
    folder = DATA / (f"tensorboard{steps}" + ("-tf2" if encoding == "tf2" else "")) / "run"
    done = folder / ".complete"
    if done.exists():
        return folder
    for old in folder.glob("*tfevents*"):
        old.unlink()
    rng = random.Random(0)
    started = time.perf_counter()
    if encoding == "tf2":
        from tensorboard.summary import Writer

        writer = Writer(str(folder))
        add = writer.add_scalar
    else:
        from tensorboardX import SummaryWriter

        writer = SummaryWriter(str(folder), max_queue=10_000, flush_secs=3600)
        add = writer.add_scalar
    for step in range(steps):
        add("train/loss", 4.0 * math.exp(-step / (steps / 5)) + 0.1 * rng.random(), step)
        add("train/lr", 1e-3 * min(1.0, step / 1000), step)
        add("train/grad_norm", rng.lognormvariate(0, 0.5), step)
        if step % 1000 == 0:
            add("val/loss", 3.0 * math.exp(-step / (steps / 5)), step)
    writer.close()
    done.write_text("ok\n")
    size = sum(p.stat().st_size for p in folder.glob("*tfevents*"))
    print(f"wrote {steps:,} steps ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


def child(code: str, *args: str) -> tuple[dict[str, float], float, float]:
    """(what the child printed, wall seconds, peak RSS in MiB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    last = out.strip().splitlines()[-1] if out.strip() else "{}"
    try:
        printed = json.loads(last)
    except json.JSONDecodeError:
        printed = {}
    return printed, wall, usage.ru_maxrss / 1024


def report(label: str, samples: list[tuple[dict[str, float], float, float]], key: str) -> float:
    values = sorted(s[0]["seconds"] if key == "load" else s[1] for s in samples)
    peak = max(s[2] for s in samples)
    points = samples[0][0].get("points")
    shown = f"{int(points):>10,}" if points is not None else f"{'':>10}"
    print(
        f"  {label:<22} best {values[0]:7.3f} s  median {values[len(values) // 2]:7.3f} s  peak RSS {peak:6.0f} MiB  points {shown}"
    )
    return values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, nargs="+", default=[100_000])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 steps")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-tbparse", action="store_true", help="skip tbparse (slow: ~50 µs a point)")
    parser.add_argument("--decoders", action="store_true", help="also compare decoders in-process")
    parser.add_argument("--tf2", action="store_true", help="TF2 tensor scalars (tensorboard's Writer) instead")
    args = parser.parse_args()
    steps_list = list(args.steps) + ([1_000_000] if args.million and 1_000_000 not in args.steps else [])
    for steps in steps_list:
        encoding = "tf2" if args.tf2 else "simple"
        folder = ensure_run(steps, encoding)
        size = sum(p.stat().st_size for p in folder.glob("*tfevents*"))
        print(f"{steps:,} steps ({encoding} scalars), {size / 1e6:.1f} MB of events ({folder})")
        root = str(folder.parent)
        ours = report("runwise load", [child(RUNWISE_LOAD, root, "run") for _ in range(args.repeat)], "load")
        report("runwise run (process)", [child(RUNWISE_PROCESS, root, "run") for _ in range(args.repeat)], "wall")
        if not args.no_tbparse and steps <= 200_000:
            theirs = report(
                "tbparse load",
                [child(TBPARSE_LOAD, str(folder), encoding) for _ in range(max(1, args.repeat - 1))],
                "load",
            )
            print(f"  speed-up over tbparse: {theirs / ours:.0f}x")
        if args.decoders:
            compare_decoders(folder)


if __name__ == "__main__":
    main()
