"""Hand-made binary machinery against the well-kept library doing the same job, end to end on the same files.

Each row is a whole in-process `load_run` (imports excluded, the file in the page cache), median of --repeat:
- TensorBoard CRC32C: runwise's numpy CRC32C (adapters/sources/tensorboard/crc32c.py) against google-crc32c
  (the C library the TensorFlow ecosystem uses) put in its place, one call per record as a library reader makes.
- TensorBoard decoding: runwise's columnar wire decoder (templates per record length) against the upb
  `protobuf` runtime parsing each Event (framing excluded for both: decode stage only, values extracted).
- W&B value texts: the SWAR/Clinger float parser runwise had (wandb_local/floats.py, taken from git history)
  against orjson parsing one joined `[v1,v2,...]` span per batch, which replaced it (the "library" column).
- W&B records: runwise's whole `load_run` against upb parsing every framed record as a `Record` and reading
  its history items with orjson (no columns built: a lower bound for a reader on the library); and against upb
  at its best: each segment's HistoryRecords parsed in one call, each key's value texts by one orjson call.
Needs google-crc32c (`pip install google-crc32c`; not a runwise dependency). Data: bench/data/ (the writers of
bench_tensorboard.py and bench_wandb.py).
Usage: python bench/bench_libraries.py [--steps 100000 1000000] [--repeat 5] [--only crc decode floats records]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def show(label: str, ours: float, theirs: float) -> None:
    print(f"  {label:<44} runwise {ours:7.3f} s   library {theirs:7.3f} s   runwise is {theirs / ours:5.2f}x")


@contextmanager
def google_crc32c_in_place() -> Iterator[None]:
    import google_crc32c

    from runwise.adapters.sources.tensorboard import decode, peek, records

    value = google_crc32c.value

    def rows(matrix: np.ndarray) -> np.ndarray:
        return np.fromiter((value(row.tobytes()) for row in matrix), np.uint32, count=len(matrix))

    def spans(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        raw = data.data
        return np.fromiter(
            (value(raw[s : s + n]) for s, n in zip(starts.tolist(), lengths.tolist())), np.uint32, count=len(starts)
        )

    saved = [
        (m, n, getattr(m, n))
        for m in (decode, peek, records)
        for n in ("crc32c", "crc32c_rows", "crc32c_spans")
        if hasattr(m, n)
    ]
    for module, name, _ in saved:
        setattr(module, name, {"crc32c": value, "crc32c_rows": rows, "crc32c_spans": spans}[name])
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


HAND_MADE_FLOATS = "621bd18^"  # the last commit with the SWAR/Clinger parser (wandb_local/floats.py)


@contextmanager
def hand_made_floats_in_place() -> Iterator[None]:
    """The W&B reader as it was with its own float parser: floats.py and numbers.py of HAND_MADE_FLOATS."""
    import subprocess
    import types

    from runwise.adapters.sources.wandb_local import history

    def old(name: str) -> types.ModuleType:
        path = f"src/runwise/adapters/sources/wandb_local/{name}.py"
        text = subprocess.run(["git", "show", f"{HAND_MADE_FLOATS}:{path}"], cwd=HERE.parent, capture_output=True,
                              text=True, check=True).stdout  # fmt: skip
        module = types.ModuleType(f"runwise.adapters.sources.wandb_local.{name}")
        sys.modules[module.__name__] = module
        exec(compile(text, path, "exec"), module.__dict__)
        return module

    current = {n: sys.modules[f"runwise.adapters.sources.wandb_local.{n}"] for n in ("numbers",)}
    old("floats")
    old_numbers = old("numbers")
    original = history.numbers
    history.numbers = old_numbers.numbers
    try:
        yield
    finally:
        history.numbers = original
        sys.modules.update({f"runwise.adapters.sources.wandb_local.{n}": m for n, m in current.items()})


def tensorboard_rows(steps: int, repeat: int, only: set[str]) -> None:
    from bench_tensorboard import _number, _protobuf_event_class, ensure_run

    from runwise.adapters.sources.tensorboard import TensorBoardRunSource
    from runwise.adapters.sources.tensorboard.columns import Columns
    from runwise.adapters.sources.tensorboard.decode import DecodeReport, decode_frames
    from runwise.adapters.sources.tensorboard.records import FrameReport, frame

    folder = ensure_run(steps)
    source = TensorBoardRunSource(folder.parent)
    (run_id,) = [info.id for info in source.list_runs()]
    print(f"TensorBoard, {steps:,} steps ({sum(p.stat().st_size for p in folder.glob('*tfevents*')) / 1e6:.0f} MB)")
    if "crc" in only:
        ours = timed(lambda: source.load_run(run_id), repeat)
        with google_crc32c_in_place():
            same = source.load_run(run_id)
            theirs = timed(lambda: source.load_run(run_id), repeat)
        assert sum(len(s) for s in same.series.values()) == sum(len(s) for s in source.load_run(run_id).series.values())
        show("load_run: numpy CRC32C vs google-crc32c", ours, theirs)
    if "decode" in only:
        (path,) = sorted(folder.glob("*tfevents*"))
        buf = path.read_bytes()
        frames = frame(buf, FrameReport())
        spans = list(zip(frames.starts.tolist(), frames.lengths.tolist()))
        event_class = _protobuf_event_class()

        def upb() -> None:
            for begin, length in spans:
                event = event_class.FromString(buf[begin : begin + length])
                for value in event.summary.value:
                    _ = (value.tag, event.step, _number(value), event.wall_time)

        def columnar() -> None:
            columns = Columns()
            decode_frames(buf, frames, 0, columns, DecodeReport())
            columns.build()

        show("decode stage: columnar vs upb per Event", timed(columnar, repeat), timed(upb, max(1, repeat // 2)))


def wandb_rows(steps: int, repeat: int, only: set[str]) -> None:
    import orjson
    from bench_wandb import ensure

    from runwise.adapters.sources.wandb_local import WandbLocalRunSource
    from runwise.adapters.sources.wandb_local.batches import read_batches
    from runwise.adapters.sources.wandb_local.framing import FrameReport
    from runwise.adapters.sources.wandb_local.proto import item_key

    root = ensure(steps, "auto")
    (path,) = list(root.glob("wandb/*run-*/*.wandb"))
    source = WandbLocalRunSource(root)
    run_id = path.stem.removeprefix("run-")
    print(f"W&B .wandb, {steps:,} steps ({path.stat().st_size / 1e6:.0f} MB)")
    ours = timed(lambda: source.load_run(run_id), repeat)
    if "floats" in only:
        reference = source.load_run(run_id)
        with hand_made_floats_in_place():
            got = source.load_run(run_id)
            hand_made = timed(lambda: source.load_run(run_id), repeat)
        for key, series in reference.series.items():
            assert series == got.series[key], key
        show("load_run: SWAR/Clinger floats vs orjson span", hand_made, ours)
    if "records" in only:
        from wandb.proto import wandb_internal_pb2  # W&B's own schema on the upb runtime

        record_class = wandb_internal_pb2.Record

        def upb() -> None:
            with path.open("rb") as stream:
                for batch in read_batches(stream, os.fstat(stream.fileno()).st_size, FrameReport()):
                    for i in range(len(batch)):
                        record = record_class.FromString(batch.payload(i))
                        if record.HasField("history"):
                            for item in record.history.item:
                                _ = (item_key(item), orjson.loads(item.value_json))

        show("whole load_run vs upb Record parse + orjson", ours, timed(upb, max(1, repeat // 2)))
        show("whole load_run vs upb history in bulk + orjson columns", ours, timed(upb_columns(path), repeat))


def upb_columns(path: Path) -> Callable[[], object]:
    """The upb runtime at its best on the history: each segment's HistoryRecords parsed in one call (framed as
    the repeated field of a wrapper message), items read from the messages, each key's value texts parsed by
    one orjson call: float columns and steps per key, the work the hand-made decoder does for the series."""
    import orjson

    from runwise.adapters.protobuf_tables import message_classes
    from runwise.adapters.sources.wandb_local.batches import read_batches
    from runwise.adapters.sources.wandb_local.framing import FrameReport
    from runwise.adapters.sources.wandb_local.proto import _MESSAGES
    from runwise.adapters.sources.wandb_local.records import HISTORY, classify

    tables = dict(_MESSAGES, Histories=[("history", 1, "HistoryRecord", True)])
    histories = message_classes("bench_wandb_upb", "proto3", tables)["Histories"]

    def run() -> dict[str, tuple[np.ndarray, np.ndarray]]:
        texts: dict[str, list[bytes]] = {}
        steps: dict[str, list[int]] = {}
        with path.open("rb") as stream:
            for batch in read_batches(stream, os.fstat(stream.fileno()).st_size, FrameReport(), segment=4 << 20):
                kinds = classify(batch.buf, batch.starts, batch.ends)
                hist = kinds.of(HISTORY)
                spans = zip(kinds.start[hist].tolist(), kinds.end[hist].tolist())
                raw = bytes(batch.buf)
                framed = b"".join(b"\x0a" + _varint(end - start) + raw[start:end] for start, end in spans)
                for record in histories.FromString(framed).history:
                    step = record.step.num
                    for item in record.item:
                        key = "/".join(item.nested_key) if item.nested_key else item.key
                        texts.setdefault(key, []).append(item.value_json.encode())
                        steps.setdefault(key, []).append(step)
        return {
            key: (np.array(steps[key]), np.array(orjson.loads(b"[" + b",".join(values) + b"]"), dtype=np.float64))
            for key, values in texts.items()
        }

    return run


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="+", default=["crc", "decode", "floats", "records"])
    args = parser.parse_args()
    only = set(args.only)
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.repeat} (upb rows: of {max(1, args.repeat // 2)})")
    for steps in args.steps:
        if only & {"crc", "decode"}:
            tensorboard_rows(steps, args.repeat, only)
        if only & {"floats", "records"}:
            wandb_rows(steps, args.repeat, only)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
