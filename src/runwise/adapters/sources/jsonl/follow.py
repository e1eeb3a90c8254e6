"""Following a growing JSONL log: each poll parses only the complete lines written since the last one."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runwise.adapters.sources.jsonl.parser import ColumnBuilder, ParseReport, choose_step_key, parse_lines
from runwise.adapters.sources.jsonl.parser import _split_config as split_config
from runwise.domain.watch import Increment

READ_LIMIT = 64 << 20  # one poll reads at most this much; the rest comes on the next poll


class JsonlFollower:
    """Byte offset, step column state and record count carried from poll to poll."""

    def __init__(self, path: Path, step_key: str | None = None) -> None:
        self.path = path
        self.configured_step_key = step_key
        self._reset()

    def _reset(self) -> None:
        self.offset = 0
        self.step_key: str | None = None
        self.chosen = False
        self.record_index = 0
        self.last_step = -1
        self.report = ParseReport()

    def paths(self) -> Sequence[str]:
        return [str(self.path)]

    def poll(self) -> Increment:
        warnings: list[str] = []
        try:
            with self.path.open("rb") as stream:
                size = os.fstat(stream.fileno()).st_size
                if size < self.offset:
                    warnings.append(f"{self.path.name} shrank from {self.offset:,} to {size:,} bytes; read anew")
                    self._reset()
                stream.seek(self.offset)
                data = stream.read(min(size - self.offset, READ_LIMIT))
        except OSError as exc:
            return Increment(warnings=(f"cannot read {self.path}: {exc.strerror}",))
        cut = data.rfind(b"\n")
        if cut < 0:
            return Increment(bytes_read=len(data), warnings=tuple(warnings))  # only a half-written line so far
        self.offset += cut + 1
        malformed_before = self.report.malformed
        rows = parse_lines(data[:cut].split(b"\n"), self.report)
        rows, config = _split_config(rows)
        if rows and not self.chosen:
            self.step_key = choose_step_key(rows[:1000], self.configured_step_key)
            self.chosen = True
        builder = ColumnBuilder(self.step_key, record_index=self.record_index, last_step=self.last_step)
        builder.add(rows)
        self.record_index, self.last_step = builder.record_index, builder.last_step
        bad = self.report.malformed - malformed_before
        if bad:
            warnings.append(f"skipped {bad} malformed line{'s' if bad != 1 else ''} in {self.path.name}")
        return Increment(series=builder.build(), bytes_read=len(data), warnings=tuple(warnings), config=config or None)


def _split_config(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Config lines apart from metric rows, as a whole read splits them."""
    found = ParseReport()
    return split_config(rows, found), found.config
