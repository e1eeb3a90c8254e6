"""Following a growing `.wandb` file: each poll decodes only whole records written since the last one.

Records never start inside a block they do not own, so a poll resumes at the 32 KiB block that holds the last
record already read, re-frames at most that block, and skips records at or before it by their file offset
(a record's offset is where its first chunk sits). The run's metadata (exit record included) is kept across
polls, so the follower knows when the run finished or crashed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.wandb_local.batches import RecordBatch, read_batches
from runwise.adapters.sources.wandb_local.framing import BLOCK, FILE_HEADER, NotAWandbFile, check_header
from runwise.adapters.sources.wandb_local.history import HistoryBuilder
from runwise.adapters.sources.wandb_local.reader import _FileReader
from runwise.domain.model import RunState
from runwise.domain.watch import Increment


class WandbFollower:
    """The offset of the last record read, and the run's metadata so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reset()

    def _reset(self) -> None:
        self.last_offset = -1  # file offset of the last record decoded
        self.size_seen = 0
        self.reader = _FileReader(None)

    def paths(self) -> Sequence[str]:
        return [str(self.path)]

    @property
    def state(self) -> RunState:
        code = self.reader.meta.exit_code
        return "unknown" if code is None else ("finished" if code == 0 else "crashed")

    def poll(self) -> Increment:
        warnings: list[str] = []
        reader = self.reader
        reader.history = HistoryBuilder(reader.names, None)  # only this poll's rows; key names are kept
        before = len(reader.report.warnings())
        try:
            with open_regular(self.path) as stream:
                size = os.fstat(stream.fileno()).st_size
                if size < self.size_seen:
                    warnings.append(f"{self.path.name} shrank; read anew")
                    self._reset()
                    reader = self.reader
                if size < FILE_HEADER or size == self.size_seen:
                    return Increment(state=self.state)  # nothing new: not even a block is re-read
                check_header(stream.read(FILE_HEADER))
                start = 0 if self.last_offset < 0 else (self.last_offset // BLOCK) * BLOCK
                for batch in read_batches(stream, size, reader.report, start=start):
                    fresh = _after(batch, self.last_offset)
                    if len(fresh):
                        reader.apply(reader.decode(fresh))
                        self.last_offset = max(self.last_offset, int(fresh.offsets.max()))
                self.size_seen = size
        except (OSError, NotAWandbFile) as exc:
            return Increment(state=self.state, warnings=(f"cannot read {self.path.name}: {exc}",))
        warnings.extend(reader.report.warnings()[before:])
        config = dict(reader.meta.config) or None
        return Increment(
            series=reader.history.series(),
            state=self.state,
            bytes_read=size - start,
            warnings=tuple(warnings),
            config=config,
        )


def _after(batch: RecordBatch, offset: int) -> RecordBatch:
    """The records of a batch that start after `offset` (the ones not read before)."""
    keep = batch.offsets > offset
    if keep.all():
        return batch
    return RecordBatch(batch._raw, batch.starts[keep], batch.ends[keep], batch.offsets[keep],
                       batch.checked[keep], batch._report)  # fmt: skip
