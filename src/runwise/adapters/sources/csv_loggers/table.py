"""Reading a metrics CSV into string columns: whole rows only, broken rows counted, never fatal.

Loggers write one row at a time and end each with a newline, so a file that does not end in one is
still being written: its last line is left for the next read. Rows with a field count that differs
from the header's are skipped and counted. Column names are stripped (Ultralytics pads them).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import attrs
import numpy as np

from runwise.domain.shared_repr import fields_repr

HEAD_BYTES = 16384
MAX_FIELD = 1 << 20  # a cell longer than this is not a number some logger wrote


@attrs.frozen
class Table:
    """A CSV's header and its columns as strings (one list per header name)."""

    __repr__ = fields_repr

    header: tuple[str, ...]
    columns: tuple[list[str], ...]
    rows: int
    skipped: int = 0
    partial_tail: bool = False

    def column(self, name: str) -> list[str] | None:
        try:
            return self.columns[self.header.index(name)]
        except ValueError:
            return None

    def warnings(self) -> tuple[str, ...]:
        out = []
        if self.skipped:
            out.append(f"skipped {self.skipped} row{'s' if self.skipped != 1 else ''} with the wrong number of fields")
        if self.partial_tail:
            out.append("last line is incomplete (file still being written?); read up to the line before")
        return tuple(out)


def read_head(path: Path) -> tuple[tuple[str, ...], list[list[str]]] | None:
    """The header and the first whole rows of a text CSV; None for binary or unreadable files."""
    try:
        with path.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError:
        return None
    if not head or b"\0" in head:
        return None
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    if len(head) == HEAD_BYTES and lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()  # cut by the read, not by the writer
    rows = _parse(lines)
    if not rows:
        return None
    return tuple(name.strip() for name in rows[0]), rows[1:]


def _parse(lines: list[str]) -> list[list[str]]:
    try:
        return list(csv.reader(lines))
    except csv.Error:
        return []


def read_table(path: Path) -> Table:
    """The whole file as string columns. Raises OSError when it cannot be read, ValueError when not CSV text."""
    data = path.read_bytes()
    if b"\0" in data[:HEAD_BYTES]:
        raise ValueError("binary content")
    partial = bool(data) and not data.endswith((b"\n", b"\r"))
    if partial:
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        data = data[: cut + 1] if cut >= 0 else b""
    text = data.decode("utf-8", errors="replace")
    plain = _plain_columns(data, text)
    if plain is not None:
        header, columns = plain
        return Table(header, columns, len(columns[0]), 0, partial)
    csv.field_size_limit(MAX_FIELD)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValueError(f"not CSV ({exc})") from exc
    if not rows:
        return Table((), (), 0, partial_tail=partial)
    header = tuple(name.strip() for name in rows[0])
    width = len(header)
    body = rows[1:]
    good = [row for row in body if len(row) == width]
    skipped = sum(1 for row in body if row and len(row) != width)
    columns = tuple(list(col) for col in zip(*good)) if good else tuple([] for _ in header)
    return Table(header, columns, len(good), skipped, partial)


def _plain_columns(data: bytes, text: str) -> tuple[tuple[str, ...], tuple[list[str], ...]] | None:
    """The columns of a CSV with no quoting and the same number of fields on every line, cut by one split.

    What loggers write (numbers and empty cells) is this plain: counting the commas of every line is one numpy
    pass, and the cells then come from a single `str.split`, 5x faster than `csv.reader` and the per-row
    filtering on a 100k-row Lightning log (bench/bench_framework_logs.py). Anything else (quotes, a lone CR,
    a short or long row, blank lines, lines over MAX_FIELD) takes the csv module.
    """
    if not data or b'"' in data:
        return None
    if b"\r" in data:  # the csv module writes CRLF (Lightning's and Keras' loggers do): only whole CRLFs
        if data.count(b"\r") != data.count(b"\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    if newlines.size < 2:
        return None
    per_line = np.diff(np.searchsorted(np.flatnonzero(raw == 44), newlines), prepend=0)
    commas = int(per_line[0])
    if commas == 0 or not bool(np.all(per_line == commas)) or bool(np.any(np.diff(newlines) > MAX_FIELD)):
        return None
    first = text.index("\n")
    header = tuple(name.strip() for name in text[:first].split(","))
    cells = text[first + 1 :].replace("\n", ",").split(",")
    cells.pop()  # the empty cell after the last newline
    width = commas + 1
    return header, tuple(cells[i::width] for i in range(width))
