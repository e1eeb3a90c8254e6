"""Columnar JSONL parsing: chunks of lines become numpy columns without a Python object per point.

Step precedence: the configured key, else `step`, `_step`, `global_step`, `iteration`, `iter`, then
`epoch` (only when it grows on every line, i.e. one line per epoch), else the record index.
`null` means "not logged at this step" (sparse keys); `NaN`, `Infinity` and `-Infinity` are kept.
Booleans and strings are not series. Nested objects are flattened with `/`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterator, Sequence
from itertools import chain, repeat
from operator import is_not, itemgetter
from typing import Any, BinaryIO

import attrs
import numpy as np
import orjson

from runwise.adapters.allocator import reuse_freed_memory
from runwise.adapters.collector import collector_paused
from runwise.adapters.sources.jsonl.flat import FlatChunk, decode_flat
from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.shared_repr import fields_repr

STEP_KEYS: tuple[str, ...] = ("step", "_step", "global_step", "iteration", "iter")
EPOCH_KEY = "epoch"
TIME_KEYS: tuple[str, ...] = ("_timestamp", "timestamp", "wall_time", "walltime")
# Blocks of 1 MiB: the flat decoder's numpy temporaries (~10x the block) stay in the CPU caches. `read_series` of
# the bench logs (bench/generate_jsonl.py), CPU, fresh processes, load ~2: 1M steps 1.29-1.49 s with 1 MiB
# blocks against 1.61-1.81 s with 4 MiB, peak RSS 200 against 215 MiB; 100k steps 0.14-0.16 against 0.18-0.22 s,
# 60 against 98 MiB. Smaller blocks (128-512 KiB) gain no more.
CHUNK_BYTES = 1 << 20
MAX_LINE_BYTES = 64 << 20  # a "line" longer than this is binary or garbage; never held whole in memory
MAX_NESTING = 32  # metric keys nested deeper than this are not metrics (and must not exhaust the stack)
MAX_STEP = 2**63 - 1
_EXACT_INT = 2.0**53  # steps read as float64 below this are exact whole numbers
_BOM = b"\xef\xbb\xbf"

_SENTINELS = {b"NaN": b'"\\u0000nan"', b"Infinity": b'"\\u0000inf"', b"-Infinity": b'"\\u0000-inf"'}
_SENTINEL_VALUES = {"\x00nan": math.nan, "\x00inf": math.inf, "\x00-inf": -math.inf}
_NUMBER_KINDS = frozenset({int, float})
_NUMBERS_OR_NONE = frozenset({int, float, type(None)})
_NUMBERS_OR_TEXT = frozenset({int, float, str})


@attrs.define
class ParseReport:
    """What parsing skipped, for one line in the run's warnings."""

    __repr__ = fields_repr

    lines: int = 0
    malformed: int = 0
    first_malformed_line: int | None = None
    partial_tail: bool = False
    bad_steps: int = 0
    too_deep: int = 0
    bad_values: int = 0
    long_lines: int = 0
    config: dict[str, Any] = attrs.field(factory=dict)
    # where the reading stopped, so a grown log can be read on from there (see jsonl/resume.py)
    step_key: str | None = None
    step_chosen: bool = False
    records: int = 0
    last_step: int = -1

    def malformed_at(self, line: int) -> None:
        """Count one unreadable line."""
        self.malformed += 1
        if self.first_malformed_line is None:
            self.first_malformed_line = line

    def warnings(self) -> tuple[str, ...]:
        out = []
        if self.malformed:
            out.append(
                f"skipped {self.malformed} malformed line{'s' if self.malformed != 1 else ''}"
                f" (first at line {self.first_malformed_line})"
            )
        if self.bad_steps:
            out.append(f"skipped {_lines(self.bad_steps)} whose step is not a whole number below 2^63")
        if self.too_deep:
            out.append(f"skipped values nested deeper than {MAX_NESTING} levels on {_lines(self.too_deep)}")
        if self.bad_values:
            out.append(f"skipped {self.bad_values} value{'s' if self.bad_values != 1 else ''} too large for a float")
        if self.long_lines:
            out.append(f"skipped {_lines(self.long_lines)} longer than {MAX_LINE_BYTES >> 20} MiB")
        if self.partial_tail:
            out.append("last line is incomplete (file still being written?); read up to the line before")
        return tuple(out)


def _lines(n: int) -> str:
    return f"{n} line{'s' if n != 1 else ''}"


def fix_nonfinite(chunk: bytes) -> bytes:
    """Replace bare NaN/Infinity/-Infinity values (Python's json writes them) with sentinel strings.

    Occurrences are found with bytes.find (C speed) and checked for a value position, so text
    inside strings such as "NaN-guard" is left alone.
    """
    hits: list[tuple[int, int, bytes]] = []
    for token in (b"NaN", b"Infinity"):
        start = chunk.find(token)
        while start >= 0:
            end = start + len(token)
            begin = start - 1 if token == b"Infinity" and start > 0 and chunk[start - 1 : start] == b"-" else start
            if _is_value_position(chunk, begin, end):
                hits.append((begin, end, _SENTINELS[chunk[begin:end]]))
            start = chunk.find(token, end)
    if not hits:
        return chunk
    hits.sort()
    parts, last = [], 0
    for begin, end, replacement in hits:
        parts.append(chunk[last:begin])
        parts.append(replacement)
        last = end
    parts.append(chunk[last:])
    return b"".join(parts)


def _is_value_position(chunk: bytes, begin: int, end: int) -> bool:
    before = chunk[max(0, begin - 8) : begin].rstrip(b" \t")[-1:]
    after = chunk[end : end + 8].lstrip(b" \t")[:1]
    return before in (b":", b"[", b",") and after in (b",", b"}", b"]", b"", b"\r", b"\n")


def iter_chunks(stream: BinaryIO, report: ParseReport, chunk_bytes: int = CHUNK_BYTES) -> Iterator[list[bytes]]:
    """Complete lines in chunks (see `iter_blocks`), each chunk as a list of lines."""
    for block in iter_blocks(stream, report, chunk_bytes):
        yield block.split(b"\n")


def iter_blocks(stream: BinaryIO, report: ParseReport, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Complete lines in blocks (newlines between them, none at the end); a trailing line without newline is
    kept only if it parses.

    A UTF-8 byte-order mark before the first line is dropped; a line longer than MAX_LINE_BYTES is
    skipped (and counted) without being held in memory.
    """
    carry = b""
    first = True
    skipping = False  # inside an over-long line: drop bytes up to its newline
    while True:
        block = stream.read(chunk_bytes)
        if not block:
            break
        if first:
            block, first = block.removeprefix(_BOM), False
        if skipping:
            cut = block.find(b"\n")
            if cut < 0:
                continue
            block, skipping = block[cut + 1 :], False
        block = carry + block
        cut = block.rfind(b"\n")
        if cut < 0:
            if len(block) > MAX_LINE_BYTES:
                report.long_lines += 1
                report.lines += 1
                carry, skipping = b"", True
            else:
                carry = block
            continue
        carry = block[cut + 1 :]
        yield block[:cut]
    if carry.strip() and not skipping:
        if parse_line(carry) is None:
            report.partial_tail = True
            return
        yield carry


def parse_line(line: bytes) -> dict[str, Any] | None:
    """One line as a dict, or None when it is not a JSON object.

    orjson first; lines it refuses (a lone surrogate, an integer beyond 64 bits, a stray invalid
    byte in a string) are read again by the standard library, so one odd value costs at most its line.
    """
    try:
        row = orjson.loads(fix_nonfinite(line))
    except orjson.JSONDecodeError:
        try:
            row = json.loads(line.decode("utf-8", "replace"))
        except (ValueError, RecursionError):  # ValueError covers JSONDecodeError and over-long integers
            return None
    return row if type(row) is dict else None


def parse_lines(lines: Sequence[bytes], report: ParseReport) -> list[dict[str, Any]]:
    """Parse one chunk of lines into row dicts; bad lines are counted, never fatal."""
    first_line = report.lines + 1
    report.lines += len(lines)
    clean = lines if all(lines) else [line for line in lines if line.strip()]
    if not clean:
        return []
    rows = _all_objects(b"[" + b",".join(clean) + b"]")
    if rows is not None:
        return rows
    out: list[dict[str, Any]] = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        row = parse_line(line)
        if row is None:
            report.malformed_at(first_line + offset)
            continue
        out.append(row)
    return out


def parse_block(block: bytes, report: ParseReport) -> list[dict[str, Any]]:
    """`parse_lines(block.split(b"\\n"))` without a bytes object per line: one orjson call over the block with its
    newlines turned into commas; blank or bad lines send the block the line by line way."""
    rows = _all_objects(b"[" + block.replace(b"\n", b",") + b"]")
    if rows is None:
        return parse_lines(block.split(b"\n"), report)
    report.lines += block.count(b"\n") + 1
    return rows


def _all_objects(joined: bytes) -> list[dict[str, Any]] | None:
    """The JSON array `joined` when every item is an object; NaN/Infinity are looked for only when strict
    JSON fails (most chunks hold none)."""
    try:
        rows = orjson.loads(joined)
    except orjson.JSONDecodeError:
        try:
            rows = orjson.loads(fix_nonfinite(joined))
        except orjson.JSONDecodeError:
            return None
    if rows and set(map(type, rows)) == {dict}:
        return rows  # type: ignore[no-any-return]
    return None


@attrs.define
class ColumnBuilder:
    """Accumulates per-key numpy chunks; keys present on every row share one steps array.

    Dense chunks (most keys on most rows) are built column by column; sparse chunks (each row
    logs a few of many keys) row by row, so the work follows the values logged, never keys × rows.
    """

    __repr__ = fields_repr

    step_key: str | None
    record_index: int = 0
    last_step: int = -1
    report: ParseReport = attrs.field(factory=ParseReport)
    _wall_key: str | None = None
    values: dict[str, list[np.ndarray]] = attrs.field(factory=dict)
    steps: dict[str, list[np.ndarray]] = attrs.field(factory=dict)
    walls: dict[str, list[np.ndarray]] = attrs.field(factory=dict)

    def add(self, rows: list[dict[str, Any]]) -> None:
        raw = None if self.step_key is None else list(map(dict.get, rows, repeat(self.step_key)))
        rows, raw = self._usable_steps(rows, raw)
        n = len(rows)
        if n == 0:
            return
        index = np.arange(self.record_index, self.record_index + n, dtype=np.int64)
        self.record_index += n
        step_col = self._steps(raw, index)
        self.last_step = int(step_col[-1])
        self._wall_key, wall_col = self._wall(rows)
        keys: set[str] = set().union(*rows)
        lengths = list(map(len, rows))
        if len(keys) * n > 4 * sum(lengths) + 64:
            self._sparse(rows, step_col, wall_col)
        elif not self._table(rows, lengths, keys, step_col, wall_col):
            self._columns(rows, "", step_col, wall_col, 0, keys)

    def add_flat(self, chunk: FlatChunk) -> bool:
        """A chunk `flat.decode_flat` read, filed as `add` files the same lines; False (nothing filed) when its
        steps need the row by row rules (a line without the step, a step that is not a whole number below 2^53,
        a bare NaN for a step)."""
        step_key, n = self.step_key, chunk.lines
        if step_key is not None:
            entry = chunk.columns.get(step_key)
            if entry is None or entry[1] is not None or step_key in chunk.nonfinite_tokens:
                return False
            raw = entry[0]
            if not (np.abs(raw) < _EXACT_INT).all() or (raw != np.trunc(raw)).any():
                return False
            step_col = raw.astype(np.int64)
        else:
            step_col = np.arange(self.record_index, self.record_index + n, dtype=np.int64)
        self.record_index += n
        self.last_step = int(step_col[-1])
        # as `_wall`: the first time key of the first line that every line holds as a plain number
        self._wall_key, wall_col = None, None
        for key in TIME_KEYS:
            if key in chunk.first_keys:
                values, present = chunk.columns[key]
                if present is None and key not in chunk.nonfinite_tokens:
                    self._wall_key, wall_col = key, values
                    break
        for key, (values, present) in chunk.columns.items():
            if key == step_key:
                continue
            if present is None:
                self._store(key, values, step_col, wall_col)
            else:
                self._store(key, values[present], step_col[present], None if wall_col is None else wall_col[present])
        return True

    def _table(
        self,
        rows: list[dict[str, Any]],
        lengths: list[int],
        keys: set[str],
        step_col: np.ndarray,
        wall_col: np.ndarray | None,
    ) -> bool:
        """The common chunk as one 2-D array: the keys every row logs, each a plain number (or NaN/Infinity), in
        one pass to pick the values, one to check their types and one C conversion, instead of three passes per
        key; the keys only some rows log (validation every N steps) then go column by column over those rows
        alone. False (nothing stored) when no key set is common to every row or a common value is not a number:
        that chunk goes column by column."""
        shortest = min(lengths)
        # every row holds the keys of a shortest row, or no key set is common to all rows
        core: Collection[str] = keys if shortest == len(keys) else rows[lengths.index(shortest)].keys()
        wall_key = self._wall_key if wall_col is not None else None
        names = [k for k in core if k != self.step_key and k != wall_key]
        if not names:
            return False
        try:
            picked = list(map(itemgetter(*names), rows))
        except KeyError:
            return False
        table = _number_table(picked, len(rows), len(names))
        if table is None:
            return False
        for j, name in enumerate(names):
            self._store(name, np.ascontiguousarray(table[:, j]), step_col, wall_col)
        if wall_key is not None:
            self._store(wall_key, wall_col, step_col, wall_col)  # type: ignore[arg-type]
        if shortest < len(keys):
            at = np.flatnonzero(np.fromiter(lengths, np.int64, count=len(lengths)) > shortest)
            sub = list(map(rows.__getitem__, at.tolist()))
            extra = keys.difference(core)
            self._columns(sub, "", step_col[at], None if wall_col is None else wall_col[at], 0, extra)
        return True

    def _usable_steps(
        self, rows: list[dict[str, Any]], raw: list[Any] | None
    ) -> tuple[list[dict[str, Any]], list[Any] | None]:
        """Rows whose step cannot be an int64 (2^63 and beyond, 1e300) are skipped and counted; with the step
        values of the rows kept (`raw`: each row's step value, None without a step key)."""
        if raw is None:
            return rows, raw
        types = set(map(type, raw))
        if types <= {int} and (not raw or (min(raw) >= -MAX_STEP and max(raw) <= MAX_STEP)):
            return rows, raw
        if int not in types and float not in types:
            return rows, raw
        keep = [not _out_of_range(v) for v in raw]
        kept = [row for row, k in zip(rows, keep) if k]
        self.report.bad_steps += len(rows) - len(kept)
        return kept, [v for v, k in zip(raw, keep) if k]

    def _steps(self, raw: list[Any] | None, index: np.ndarray) -> np.ndarray:
        if raw is None:
            return index
        if set(map(type, raw)) <= {int}:
            return np.array(raw, dtype=np.int64)
        # a line without a usable step takes the previous line's step (or its record index)
        out = np.empty(len(raw), dtype=np.int64)
        previous = self.last_step
        for i, v in enumerate(raw):
            if type(v) is int or (type(v) is float and math.isfinite(v)):
                previous = int(v)
            elif previous < 0:
                previous = int(index[i])
            out[i] = previous
        return out

    def _wall(self, rows: list[dict[str, Any]]) -> tuple[str | None, np.ndarray | None]:
        for key in TIME_KEYS:
            if key in rows[0]:
                raw = list(map(dict.get, rows, repeat(key)))
                if set(map(type, raw)) <= _NUMBER_KINDS:
                    try:
                        return key, np.array(raw, dtype=np.float64)
                    except OverflowError:
                        return None, None
        return None, None

    def _columns(
        self,
        rows: list[dict[str, Any]],
        prefix: str,
        step_col: np.ndarray,
        wall_col: np.ndarray | None,
        depth: int,
        keys: set[str] | None = None,
    ) -> None:
        if keys is None:
            keys = set().union(*rows)
        for key in keys:
            full = prefix + key
            if not prefix and key == self.step_key:
                continue
            if not prefix and key == self._wall_key and wall_col is not None:
                self._add_column(key, [], _NUMBER_KINDS, step_col, wall_col)  # already extracted
                continue
            col = list(map(dict.get, rows, repeat(key)))
            types = set(map(type, col))
            if dict in types:
                if depth >= MAX_NESTING:
                    self.report.too_deep += sum(1 for v in col if type(v) is dict)
                else:
                    sub = [v if type(v) is dict else {} for v in col]
                    self._columns(sub, full + "/", step_col, wall_col, depth + 1)
                types.discard(dict)
                if not types - {type(None)}:
                    continue
                col = [None if type(v) is dict else v for v in col]  # a number on other rows: a gap here
                types.add(type(None))
            self._add_column(full, col, types, step_col, wall_col)

    def _sparse(self, rows: list[dict[str, Any]], step_col: np.ndarray, wall_col: np.ndarray | None) -> None:
        """Row by row: each key collects the row positions and values it was logged with."""
        found: dict[str, tuple[list[int], list[Any]]] = {}
        for i, row in enumerate(rows):
            self._flatten_row(i, row, "", found, 0)
        for key, (positions, col) in found.items():
            at = np.array(positions, dtype=np.int64)
            self._add_column(key, col, set(map(type, col)), step_col[at], None if wall_col is None else wall_col[at])

    def _flatten_row(
        self, i: int, row: dict[str, Any], prefix: str, found: dict[str, tuple[list[int], list[Any]]], depth: int
    ) -> None:
        for key, value in row.items():
            if not prefix and (key == self.step_key or key == self._wall_key):
                if key == self._wall_key:
                    entry = found.setdefault(key, ([], []))
                    entry[0].append(i)
                    entry[1].append(value)
                continue
            if type(value) is dict:
                if depth >= MAX_NESTING:
                    self.report.too_deep += 1
                else:
                    self._flatten_row(i, value, prefix + key + "/", found, depth + 1)
                continue
            if value is None:
                continue
            entry = found.setdefault(prefix + key, ([], []))
            entry[0].append(i)
            entry[1].append(value)

    def _add_column(
        self,
        key: str,
        col: list[Any],
        types: set[type] | frozenset[type],
        step_col: np.ndarray,
        wall_col: np.ndarray | None,
    ) -> None:
        if types <= _NUMBER_KINDS:
            if key == self._wall_key and wall_col is not None and len(col) in (0, len(wall_col)):
                values = wall_col
            else:
                try:
                    values = np.array(col, dtype=np.float64)
                except OverflowError:  # an integer beyond 1.8e308
                    values = None
            if values is not None:
                steps, wall = step_col, wall_col
                self._store(key, values, steps, wall)
                return
        if types <= _NUMBERS_OR_NONE:  # a key some rows leave out (validation every N steps): None marks the gaps
            try:
                every = np.array(col, dtype=np.float64)
            except OverflowError:
                pass  # an integer beyond 1.8e308: counted below
            else:
                mask = np.fromiter(map(is_not, col, repeat(None)), dtype=bool, count=len(col))
                if mask.any():
                    self._store(key, every[mask], step_col[mask], None if wall_col is None else wall_col[mask])
                return
        if str in types:
            col = [_SENTINEL_VALUES.get(v, v) if type(v) is str else v for v in col]  # NaN/Inf sentinels: floats
        mask = np.fromiter(map(_is_float, col), dtype=bool, count=len(col))
        self.report.bad_values += sum(1 for v, m in zip(col, mask) if not m and type(v) is int)
        if not mask.any():
            return
        values = np.array([v for v, m in zip(col, mask) if m], dtype=np.float64)
        self._store(key, values, step_col[mask], None if wall_col is None else wall_col[mask])

    def _store(self, key: str, values: np.ndarray, steps: np.ndarray, wall: np.ndarray | None) -> None:
        self.values.setdefault(key, []).append(values)
        self.steps.setdefault(key, []).append(steps)
        if wall is not None:
            self.walls.setdefault(key, []).append(wall)

    def build(self) -> dict[str, MetricSeries]:
        """Concatenate chunks; keys that shared step (or time) chunks share the resulting array."""
        shared: dict[tuple[int, ...], np.ndarray] = {}

        def joined(chunks: list[np.ndarray]) -> np.ndarray:
            ident = tuple(id(c) for c in chunks)
            array = shared.get(ident)
            if array is None:
                array = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
                shared[ident] = array
            return array

        out: dict[str, MetricSeries] = {}
        for key in sorted(self.values):
            steps = joined(self.steps.pop(key))
            values = joined(self.values.pop(key))
            wall_chunks = self.walls.pop(key, None)
            wall = joined(wall_chunks) if wall_chunks and sum(c.size for c in wall_chunks) == steps.size else None
            out[key] = sorted_series(key, steps, values, wall)
        return out


def _number_table(picked: list[Any], rows: int, width: int) -> np.ndarray | None:
    """`picked` (one tuple of values per row, or one value per row when `width` is 1) as a rows x width float64
    array; None when a value is not a number. NaN/Infinity (sentinel texts after `fix_nonfinite`) become floats,
    looked for only in the columns that hold text."""
    flat = picked if width == 1 else chain.from_iterable(picked)
    kinds = set(map(type, flat))
    try:
        if kinds <= _NUMBER_KINDS:
            return np.array(picked, dtype=np.float64).reshape(rows, width)
        if not kinds <= _NUMBERS_OR_TEXT:
            return None
        grid = np.array(picked, dtype=object).reshape(rows, width)
        for j in range(width):
            column = grid[:, j]
            if str in set(map(type, column)):
                read = list(map(_SENTINEL_VALUES.get, column, column))
                if not set(map(type, read)) <= _NUMBER_KINDS:
                    return None
                grid[:, j] = read
        return grid.astype(np.float64)
    except OverflowError:  # an integer beyond 1.8e308: the column path counts it
        return None


def _out_of_range(step: Any) -> bool:
    """A step value that cannot be stored as int64 (a missing or non-numeric step is not out of range)."""
    if type(step) is int:
        return not -MAX_STEP <= step <= MAX_STEP
    if type(step) is float:
        return math.isfinite(step) and not -MAX_STEP <= step <= MAX_STEP
    return False


def _is_float(value: Any) -> bool:
    """A value that is a metric point: a float, or an int a float can hold."""
    kind = type(value)
    if kind is float:
        return True
    if kind is int:
        return bool(-_FLOAT_MAX_INT <= value <= _FLOAT_MAX_INT)
    return False


_FLOAT_MAX_INT = int(np.finfo(np.float64).max)


_SAMPLE_LINES = 1000  # lines that decide the step key


def choose_step_key(first_rows: list[dict[str, Any]], configured: str | None) -> str | None:
    """The step field by precedence; `epoch` only when it grows on every line of the sample."""
    if configured:
        return configured
    for key in STEP_KEYS:
        if any(key in r for r in first_rows):
            return key
    epochs = [r.get(EPOCH_KEY) for r in first_rows]
    ints = [e for e in epochs if type(e) is int]
    if ints and len(ints) == len(epochs) and all(b > a for a, b in zip(ints, ints[1:])):
        return EPOCH_KEY
    return None


def read_series(
    stream: BinaryIO,
    step_key: str | None = None,
    *,
    start: ParseReport | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> tuple[dict[str, MetricSeries], ParseReport]:
    """Parse a JSONL stream into full-resolution series; with `start` (the report of an earlier read that stopped
    where `stream` now is), read on from there: counters, step key and record index carry over."""
    report = ParseReport() if start is None else attrs.evolve(start, partial_tail=False, config=dict(start.config))
    builder: ColumnBuilder | None = None
    if start is not None and start.step_chosen:
        builder = ColumnBuilder(start.step_key, record_index=start.records, last_step=start.last_step, report=report)
    with collector_paused(), reuse_freed_memory():
        for block in iter_blocks(stream, report, chunk_bytes):
            if builder is None:
                sample = _all_objects(b"[" + b",".join(block.split(b"\n", _SAMPLE_LINES)[:_SAMPLE_LINES]) + b"]")
                if sample is not None and not any("config" in row for row in sample):
                    builder = ColumnBuilder(choose_step_key(sample, step_key), report=report)
            if builder is not None:  # a flat chunk holds numbers only, so no config line (a config is an object)
                flat = decode_flat(block)
                if flat is not None and builder.add_flat(flat):
                    report.lines += flat.lines
                    continue
            rows = parse_block(block, report)
            rows = _split_config(rows, report)
            if builder is None:
                if not rows:
                    continue
                builder = ColumnBuilder(choose_step_key(rows[:_SAMPLE_LINES], step_key), report=report)
            builder.add(rows)
            del rows  # not alive while the next chunk is decoded
        series = builder.build() if builder else {}  # the chunks freed here go back with the rest (allocator.py)
    if builder is not None:
        report.step_key, report.step_chosen = builder.step_key, True
        report.records, report.last_step = builder.record_index, builder.last_step
    return series, report


def _split_config(rows: list[dict[str, Any]], report: ParseReport) -> list[dict[str, Any]]:
    """Lines like {"config": {...}} carry the run's config, not metrics. Once a log has shown one, every later
    chunk is looked through too (the answer must not depend on where a chunk, or a resumed read, starts)."""
    if not rows or (not report.config and "config" not in rows[0] and not any("config" in r for r in rows[:5])):
        return rows
    kept = []
    for row in rows:
        cfg = row.get("config")
        if type(cfg) is dict and len(row) <= 2:
            report.config.update(cfg)
            continue
        kept.append(row)
    return kept
