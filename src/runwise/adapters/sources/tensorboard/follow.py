"""Following a growing TensorBoard run: each poll frames and decodes only the records written since the last one.

Event files are a plain sequence of length-prefixed records (no blocks), so a byte offset per file is enough to
resume; a record cut by the end of the file is left for the next poll. Files that appear later (a restart writes
a new event file) are picked up by re-finding the run's parts on every poll, which only lists folders.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.tensorboard.columns import Columns
from runwise.adapters.sources.tensorboard.decode import decode_frames
from runwise.adapters.sources.tensorboard.discovery import RunFolder
from runwise.adapters.sources.tensorboard.reader import FileReport
from runwise.adapters.sources.tensorboard.records import frame
from runwise.domain.model import MetricSeries, RunState
from runwise.domain.shared_repr import fields_repr
from runwise.domain.watch import Increment

READ_LIMIT = 64 << 20  # one poll reads at most this much of a file; the rest comes on the next poll


@attrs.define
class _FileCursor:
    __repr__ = fields_repr

    offset: int = 0
    ordinal: int = 0


class TensorBoardFollower:
    """Per-file offsets; `find` re-finds the run so new event files join the watch."""

    def __init__(self, find: Callable[[], RunFolder], state_of: Callable[[Columns], RunState]) -> None:
        self.find = find
        self.state_of = state_of
        self.cursors: dict[Path, _FileCursor] = {}
        self.state: RunState = "unknown"
        self._folder: RunFolder | None = None

    def paths(self) -> Sequence[str]:
        folder = self._folder or self.find()
        return [str(folder.folder)]

    def poll(self) -> Increment:
        try:
            run = self._folder = self.find()
        except Exception as exc:  # the run folder vanished: nothing new, say why
            return Increment(state=self.state, warnings=(str(exc),))
        series: dict[str, MetricSeries] = {}
        config: dict[str, object] = {}
        warnings: list[str] = []
        read = 0
        for part in run.parts:
            for path in part.files:
                columns, nbytes, report = self._read(path, run.label(path))
                read += nbytes
                warnings.extend(report.warnings())
                config.update(columns.config)
                state = self.state_of(columns)
                if state != "unknown":
                    self.state = state
                for tag, built in columns.build(release=True).items():
                    key = part.prefix + tag
                    if part.role == "hparams" and key in series:
                        continue
                    series[key] = MetricSeries(key, built.steps, built.values, built.wall_time)
        return Increment(series=series, state=self.state, bytes_read=read, warnings=tuple(warnings),
                         config=config or None)  # fmt: skip

    def _read(self, path: Path, label: str) -> tuple[Columns, int, FileReport]:
        cursor = self.cursors.setdefault(path, _FileCursor())
        report = FileReport(label)
        columns = Columns()
        try:
            with open_regular(path) as stream:
                size = os.fstat(stream.fileno()).st_size
                if size < cursor.offset:  # rewritten: start over
                    cursor.offset, cursor.ordinal = 0, 0
                stream.seek(cursor.offset)
                buf = stream.read(min(size - cursor.offset, READ_LIMIT))
        except OSError as exc:
            report.error = exc.strerror or str(exc)
            return columns, 0, report
        if not buf:
            return columns, 0, report
        frames = frame(buf, report.frames, base=cursor.offset)
        decode_frames(buf, frames, cursor.ordinal, columns, report.decoding, base=cursor.offset)
        cursor.ordinal += int(frames.starts.size)
        cursor.offset += frames.consumed
        return columns, len(buf), report
