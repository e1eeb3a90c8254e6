"""Run facts for listing, read from the head and the tail of a `.wandb` file only.

Listing a hundred runs must not read a hundred histories. The run record (name, project, tags,
config, git, start time) sits in the first block; the exit record and the last history row sit
in the last few blocks. Chunks never cross a block boundary, so reading can start at any block.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import attrs

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.wandb_local.batches import RecordBatch, read_batches
from runwise.adapters.sources.wandb_local.framing import BLOCK, FrameReport, check_header
from runwise.adapters.sources.wandb_local.records import (
    ENVIRONMENT,
    EXIT,
    HISTORY,
    RUN,
    RunMeta,
    classify,
    decode_record,
)
from runwise.domain.shared_repr import fields_repr

HEAD_BYTES = 64 * 1024
MAX_HEAD_BYTES = 8 << 20  # a run record with a very large config spans many blocks
TAIL_BYTES = 4 * BLOCK


@attrs.frozen
class Peek:
    """What listing needs: the run's metadata, exit code, last step and runtime."""

    __repr__ = fields_repr

    meta: RunMeta
    last_step: int | None = None
    runtime_s: float | None = None
    last_wall: float | None = None


def peek_wandb_file(path: Path | str) -> Peek:
    """Head and tail facts of a `.wandb` file. Raises OSError, or NotAWandbFile for other files."""
    with open_regular(path) as stream:
        size = os.fstat(stream.fileno()).st_size
        check_header(stream.read(7))
        meta = RunMeta()
        _read_head(stream, size, meta)
        last: dict[str, Any] = {}
        tail_start = max(0, (size - TAIL_BYTES) // BLOCK * BLOCK)
        for batch in read_batches(stream, size, FrameReport(), start=tail_start):
            _read_tail(batch, meta, last)
    runtime = last.get("_runtime")
    return Peek(
        meta=meta,
        last_step=last.get("step"),
        runtime_s=float(runtime) if isinstance(runtime, int | float) else meta.exit_runtime,
        last_wall=last.get("_timestamp") if isinstance(last.get("_timestamp"), float) else None,
    )


def _read_head(stream: IO[bytes], size: int, meta: RunMeta) -> None:
    stop = HEAD_BYTES
    while True:
        for batch in read_batches(stream, size, FrameReport(), start=0, stop=stop):
            kinds = classify(batch.buf, batch.starts, batch.ends)
            wanted = kinds.of(RUN, ENVIRONMENT)
            for i in wanted[batch.verified(wanted)].tolist():
                record = decode_record(batch.payload(i))
                if record is not None:
                    meta.apply(record)
        if meta.run_id is not None or stop >= size or stop >= MAX_HEAD_BYTES:
            return
        stop *= 8


def _read_tail(batch: RecordBatch, meta: RunMeta, last: dict[str, Any]) -> None:
    from runwise.adapters.sources.wandb_local import proto
    from runwise.adapters.sources.wandb_local.summary import decode_json

    kinds = classify(batch.buf, batch.starts, batch.ends)
    exits = kinds.of(EXIT)
    for i in exits[batch.verified(exits)].tolist():
        record = decode_record(batch.payload(i))
        if record is not None:
            meta.apply(record)
    history = kinds.of(HISTORY)
    history = history[batch.verified(history)]
    if history.size == 0:
        return
    record = decode_record(batch.payload(int(history[-1])))
    if record is None:
        return
    values = {proto.item_key(item): decode_json(item.value_json.encode()) for item in record.history.item}
    step = values.get("_step")
    if record.history.HasField("step"):
        step = record.history.step.num
    last.clear()
    last.update(values)
    last["step"] = int(step) if isinstance(step, int | float) else None
