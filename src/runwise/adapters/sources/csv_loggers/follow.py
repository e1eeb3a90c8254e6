"""Following a growing CSV log (Lightning, Keras, Ultralytics): each poll parses only the rows appended since.

The header is read once; later polls read from the byte offset reached before, up to the last newline (a row
being written waits for the next poll). Loggers also rewrite their file: Lightning's CSVLogger writes it anew,
with a wider header, when a key appears; a fresh training may truncate it and write past the old length. A poll
that finds the file shorter than the offset, a header other than the one read, or other bytes just before the
offset than the last ones read (two small reads per change) starts over from the top and reports only the
points after the last step already reported for each key.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.csv_loggers.table import MAX_FIELD, Table
from runwise.domain.model import MetricSeries, RunState
from runwise.domain.watch import Increment, ReportedSteps

READ_LIMIT = 64 << 20  # one poll reads at most this much; the rest comes on the next poll
TAIL_CHECK = 64

Carry = Any  # what a source needs to read on from the rows before (Keras: the last epoch and its step)
ParseMore = Callable[[Table, Carry], tuple[dict[str, MetricSeries], Carry]]


class CsvFollower:
    """Header, byte offset and the parser's carry, kept from poll to poll."""

    def __init__(self, path: Path, parse_more: ParseMore, state_of: Callable[[int | None], RunState]) -> None:
        self.path = path
        self.parse_more = parse_more
        self.state_of = state_of
        self.state: RunState = "unknown"
        self.header_line = b""
        self.offset = 0
        self.carry: Carry = None
        self.tail = b""  # the last bytes read: a file rewritten in place no longer has them before the offset
        self._seen: tuple[int, int] | None = None
        self._reported = ReportedSteps()

    def paths(self) -> Sequence[str]:
        return [str(self.path.resolve())]

    def poll(self) -> Increment:
        warnings: list[str] = []
        try:
            with open_regular(self.path) as stream:
                st = os.fstat(stream.fileno())
                if (st.st_size, st.st_mtime_ns) == self._seen:
                    return Increment(state=self.state)
                if self.header_line and not self._same_file(stream, st.st_size):
                    warnings.append(f"{self.path.name} was rewritten; read anew")
                    self._start_over()
                stream.seek(self.offset)
                data = stream.read(min(st.st_size - self.offset, READ_LIMIT))
        except OSError as exc:
            return Increment(state=self.state, warnings=(f"cannot read {self.path.name}: {exc.strerror or exc}",))
        if self.offset + len(data) == st.st_size:
            self._seen = (st.st_size, st.st_mtime_ns)
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if cut < 0:
            return Increment(state=self.state, bytes_read=len(data), warnings=tuple(warnings))
        whole = data[: cut + 1]
        if not self.header_line:
            end = whole.find(b"\n") + 1 or len(whole)
            self.header_line, whole = whole[:end], whole[end:]
        self.offset += cut + 1
        self.tail = data[max(0, cut + 1 - TAIL_CHECK) : cut + 1]
        table, skipped = self._table(whole)
        if skipped:
            warnings.append(f"skipped {skipped} row{'s' if skipped != 1 else ''} with the wrong number of fields")
        series, self.carry = self.parse_more(table, self.carry)
        series = self._reported.keep(series)
        last = max(self._reported.last.values(), default=None)
        self.state = self.state_of(last)
        return Increment(series=series, state=self.state, bytes_read=len(data), warnings=tuple(warnings))

    def _same_file(self, stream: BinaryIO, size: int) -> bool:
        """Still the file read so far: as long as before, the same header, the same bytes before the offset."""
        if size < self.offset or stream.read(len(self.header_line)) != self.header_line:
            return False
        if self.tail:
            stream.seek(self.offset - len(self.tail))
            return stream.read(len(self.tail)) == self.tail
        return True

    def _start_over(self) -> None:
        self.header_line, self.offset, self.carry, self.tail = b"", 0, None, b""
        self._reported.restarted = True

    def _table(self, body: bytes) -> tuple[Table, int]:
        csv.field_size_limit(MAX_FIELD)
        text = self.header_line.decode("utf-8", errors="replace")
        header = tuple(name.strip() for name in next(csv.reader([text]), []))
        try:
            rows = list(csv.reader(io.StringIO(body.decode("utf-8", errors="replace"), newline="")))
        except csv.Error:
            return Table(header, tuple([] for _ in header), 0), len(body.splitlines())
        good = [row for row in rows if len(row) == len(header)]
        skipped = sum(1 for row in rows if row and len(row) != len(header))
        columns = tuple(list(col) for col in zip(*good)) if good else tuple([] for _ in header)
        return Table(header, columns, len(good), skipped), skipped
