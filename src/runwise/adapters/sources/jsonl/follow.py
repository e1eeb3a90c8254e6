"""Following a growing JSONL log: each poll parses only the complete lines written since the last one.

The parser reads on from the report of the previous poll (step key, record index and counters carry over, as
when the parsed-run cache reads a grown log on); a half-written last line waits for the next poll.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.jsonl.parser import ParseReport, read_series
from runwise.domain.watch import Increment

READ_LIMIT = 64 << 20  # one poll reads at most this much; the rest comes on the next poll


class JsonlFollower:
    """Byte offset and parser state carried from poll to poll."""

    def __init__(self, path: Path, step_key: str | None = None) -> None:
        self.path = path
        self.step_key = step_key
        self.offset = 0
        self.report: ParseReport | None = None

    def paths(self) -> Sequence[str]:
        return [str(self.path)]

    def poll(self) -> Increment:
        warnings: list[str] = []
        try:
            with open_regular(self.path) as stream:
                size = os.fstat(stream.fileno()).st_size
                if size < self.offset:
                    warnings.append(f"{self.path.name} shrank from {self.offset:,} to {size:,} bytes; read anew")
                    self.offset, self.report = 0, None
                stream.seek(self.offset)
                data = stream.read(min(size - self.offset, READ_LIMIT))
        except OSError as exc:
            return Increment(warnings=(f"cannot read {self.path}: {exc.strerror}",))
        cut = data.rfind(b"\n")
        if cut < 0:
            return Increment(bytes_read=len(data), warnings=tuple(warnings))  # only a half-written line so far
        self.offset += cut + 1
        before = self.report
        series, self.report = read_series(io.BytesIO(data[: cut + 1]), self.step_key, start=before)
        bad = self.report.malformed - (before.malformed if before else 0)
        if bad:
            warnings.append(f"skipped {bad} malformed line{'s' if bad != 1 else ''} in {self.path.name}")
        config = self.report.config if self.report.config != (before.config if before else {}) else None
        self.report = attrs.evolve(self.report, config=dict(self.report.config))
        return Increment(series=series, bytes_read=len(data), warnings=tuple(warnings), config=config)
