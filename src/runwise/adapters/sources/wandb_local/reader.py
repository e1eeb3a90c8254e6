"""Read a whole `.wandb` file without the `wandb` package: series, summary, config, exit, console tail.

Per 4 MiB segment: frame the records (`framing`), tell their types apart (`records.classify`),
CRC-check and decode the history rows as columns (`history`), skip the summary records that only
echo a history row, decode the other summary records (`summary`) and the handful of run, config,
environment, exit and console records (protobuf). Memory stays bounded by the segment size plus
the columns themselves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Collection
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.allocator import reuse_freed_memory
from runwise.adapters.cores import decoding_threads
from runwise.adapters.fs import open_regular
from runwise.adapters.sources.wandb_local.batches import RecordBatch, read_batches
from runwise.adapters.sources.wandb_local.framing import FrameReport, check_header
from runwise.adapters.sources.wandb_local.history import HistoryBuilder, HistoryPart
from runwise.adapters.sources.wandb_local.keys import KeyNames
from runwise.adapters.sources.wandb_local.records import (
    CONSOLE,
    DECODED,
    HISTORY,
    SUMMARY,
    Kinds,
    RunMeta,
    classify,
    console_text,
    decode_record,
)
from runwise.adapters.sources.wandb_local.summary import Candidates, add_summary_records
from runwise.adapters.sources.wandb_local.wire import rows
from runwise.domain.model import MetricSeries
from runwise.domain.shared_repr import fields_repr

if TYPE_CHECKING:  # threads are imported only when a read asks for more than one (~2.4 ms of start-up)
    from concurrent.futures import Future

# Segments decoded at once when the caller does not say (None: `adapters/cores.py`'s rule). One: decoding holds
# the GIL for most of its time (orjson, Python-level calls, numpy calls on arrays of a few thousand items), and a
# second thread mostly hands the GIL back and forth at a cost. Whole cold `runwise --no-cache run latest` processes,
# `python bench/bench_wandb.py --threads 1 2` (CRCs by block, the GIL released there): 100k steps at load 0.2-0.4,
# medians of 7, one thread 0.528 s wall (best 0.482) / 0.623 s CPU / 79 MiB, two 0.554 s (best 0.488) / 0.755 s /
# 101 MiB; at load 0.4-1.0, medians of 9, one 0.668 s (best 0.540), two 0.689 s (best 0.616); 1M steps at load
# 1.2-1.6, medians of 3, one 2.63 s / 2.60 s CPU / 203 MiB, two 2.70 s / 2.97 s / 228 MiB.
THREADS: int | None = 1
# Decoding holds a few times a segment in temporary arrays. In-process `read_wandb_file` of
# the 1M-step bench run (713 MB, load average ~14, CPU medians of 2): 4 MiB segments peak at 182 MiB and take
# 4.5 s of CPU, 8 MiB 238 MiB and 5.4 s (temporaries that fit the CPU caches), 2 MiB 155 MiB for no clear gain.
SEGMENT = 4 << 20
CONSOLE_RECORDS = 400  # output fragments kept while reading (a print is often two records)
CONSOLE_LINES = 20
CONSOLE_CHARS = 2000


@attrs.frozen
class WandbFile:
    """Everything Runwise reads from one `.wandb` file."""

    __repr__ = fields_repr

    meta: RunMeta
    series: dict[str, MetricSeries]
    summary: dict[str, Any]
    rows: int
    last_step: int | None
    runtime_s: float | None
    console_tail: str
    warnings: tuple[str, ...]


def read_wandb_file(
    path: Path | str,
    keys: Collection[str] | None = None,
    *,
    threads: int | None = THREADS,
    segment: int = SEGMENT,
) -> WandbFile:
    """Read `path` up to its last whole record. Raises OSError, or NotAWandbFile for other files.

    `keys` limits the series built (every key still feeds the summary). Segments are decoded by `threads` worker
    threads and filed in order (one by default: see THREADS; None asks `adapters/cores.py`).
    """
    if threads is None:
        threads = decoding_threads()
    with open_regular(path) as stream, reuse_freed_memory():
        size = os.fstat(stream.fileno()).st_size
        check_header(stream.read(7))
        reader = _FileReader(keys, scale=size / min(size, segment))
        if threads <= 1 or size <= segment:
            for batch in read_batches(stream, size, reader.report, segment=segment):
                reader.apply(reader.decode(batch))
        else:
            _read_parallel(stream, size, reader, threads, segment)
    return reader.result()


def _read_parallel(stream: IO[bytes], size: int, reader: _FileReader, threads: int, segment: int) -> None:
    """At most `threads` segments in flight; each owns one of `threads + 1` rotating read buffers."""
    from concurrent.futures import ThreadPoolExecutor

    pending: deque[Future[_Decoded]] = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="runwise-wandb") as pool:
        for batch in read_batches(stream, size, reader.report, segment=segment, buffers=threads + 1):
            pending.append(pool.submit(reader.decode, batch))
            while len(pending) >= threads:
                reader.apply(pending.popleft().result())
        while pending:
            reader.apply(pending.popleft().result())


@attrs.frozen
class _Decoded:
    """One segment, decoded without touching shared state: filed later, in file order."""

    __repr__ = fields_repr

    history: HistoryPart | None
    candidates: Candidates
    records: list[Any]
    console: list[bytes]
    lost: int


class _FileReader:
    def __init__(self, keys: Collection[str] | None, scale: float = 1.0) -> None:
        self.scale = scale  # the file's size over the first segment's: room for the rows to come
        self.report = FrameReport()
        self.names = KeyNames()
        self.candidates = Candidates()
        self.history = HistoryBuilder(self.names, keys)
        self.meta = RunMeta()
        self.console: deque[bytes] = deque(maxlen=CONSOLE_RECORDS)
        self.lost = 0

    def decode(self, batch: RecordBatch) -> _Decoded:
        kinds = classify(batch.buf, batch.starts, batch.ends)
        hist = kinds.of(HISTORY)
        hist = hist[batch.verified(hist)]
        item_bytes = np.full(len(batch), -1, np.int64)
        part = None
        candidates = Candidates()
        lost = 0
        if hist.size:
            part = self.history.decode(batch, hist, kinds.start[hist], kinds.end[hist])
            item_bytes[hist] = part.item_bytes
            candidates = part.candidates
        summ = kinds.of(SUMMARY)
        if summ.size:
            summ = summ[~_echoes(summ, kinds, item_bytes)]
            summ = summ[~_runtime_ticks(batch, summ, kinds)]
            summ = summ[batch.verified(summ)]
            lost += add_summary_records(batch, summ, kinds.start[summ], kinds.end[summ], candidates, self.names)
        other = kinds.of(*DECODED)
        records = []
        for i in other[batch.verified(other)].tolist():
            record = decode_record(batch.payload(i))
            if record is None:
                lost += 1
            else:
                records.append(record)
        console = kinds.of(*CONSOLE)[-CONSOLE_RECORDS:]
        console = console[batch.verified(console)]
        payloads = [batch.payload(i) for i in console.tolist()]
        bad = np.nonzero(kinds.field < 0)[0]
        if bad.size:
            lost += int(np.count_nonzero(batch.verified(bad)))  # CRC-valid but not a Record
        return _Decoded(part, candidates, records, payloads, lost)

    def apply(self, decoded: _Decoded) -> None:
        if decoded.history is not None:
            first = self.history.rows == 0
            self.history.add(decoded.history)
            if first and self.scale > 1:
                self.history.reserve(int(self.history.rows * self.scale * 1.05) + 1024)
        self.candidates.merge(decoded.candidates)
        for record in decoded.records:
            self.meta.apply(record)
        self.console.extend(decoded.console)
        self.lost += decoded.lost

    def result(self) -> WandbFile:
        series = self.history.series()
        summary = self.candidates.values()
        runtime = summary.get("_runtime")
        runtime_s = float(runtime) if isinstance(runtime, int | float) else self.meta.exit_runtime
        warnings = self.report.warnings()
        if self.lost or self.history.undecodable:
            warnings.append(f"skipped {self.lost + self.history.undecodable} record(s) that do not decode")
        if self.history.bad_values:
            n = self.history.bad_values
            warnings.append(
                f"{n:,} logged value{'s' if n != 1 else ''} could not be read (malformed value text); skipped"
            )
        records = [r for r in map(decode_record, self.console) if r is not None]
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        return WandbFile(
            meta=self.meta,
            series=series,
            summary=summary,
            rows=self.history.rows,
            last_step=last if last is not None else self.history.last_step,
            runtime_s=runtime_s,
            console_tail=console_text(records, CONSOLE_LINES, CONSOLE_CHARS),
            warnings=tuple(warnings),
        )


_TICK_HEAD = b"\x12\x06_wandb\x12\x07runtime\x82\x01"
_TICK_TAIL = b"\x0a\x08_runtime\x82\x01"


def _row_pattern(text: bytes, width: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """An item's head as words, and the mask that keeps its bytes but the length's (whose high bit must be 0)."""
    pattern = np.frombuffer((b"\x0a\x00" + text).ljust(width, b"\x00"), "<u8")
    mask = np.frombuffer((b"\xff\x80" + b"\xff" * len(text)).ljust(width, b"\x00"), "<u8")
    return pattern, mask


_TICK_FIRST, _TICK_FIRST_MASK = _row_pattern(_TICK_HEAD, 24)  # the first item: `_wandb` / `runtime`
_TICK_SECOND, _TICK_SECOND_MASK = _row_pattern(_TICK_TAIL, 16)  # the second: `_runtime`, ending the record


def _runtime_ticks(batch: RecordBatch, summ: np.ndarray, kinds: Kinds) -> NDArray[np.bool_]:
    """W&B's own `{_wandb.runtime, _runtime}` summary updates, one per log call: all but the batch's last.

    The history rows carry `_runtime` too, so these add nothing but decoding time. Each record's first item is
    compared as three words of one 24-byte copy, its second as two words.
    """
    u = batch.buf
    start, end = kinds.start[summ], kinds.end[summ]
    head = rows(u, start, 24).view("<u8")
    same = (head & _TICK_FIRST_MASK) == _TICK_FIRST
    tick: NDArray[np.bool_] = same[:, 0] & same[:, 1] & same[:, 2]
    maybe = np.nonzero(tick)[0]
    at = start[maybe] + 2 + ((head[maybe, 0] >> np.uint64(8)) & np.uint64(0x7F)).astype(np.int64)
    second = rows(u, np.minimum(at, u.size - 16), 16).view("<u8")
    same = (second & _TICK_SECOND_MASK) == _TICK_SECOND
    length = ((second[:, 0] >> np.uint64(8)) & np.uint64(0x7F)).astype(np.int64)
    tick[maybe] = same[:, 0] & same[:, 1] & (at + 2 + length == end[maybe])
    last = np.nonzero(tick)[0]
    if last.size:
        tick[last[-1]] = False
    return tick


def _echoes(summ: np.ndarray, kinds: Kinds, item_bytes: np.ndarray) -> NDArray[np.bool_]:
    """Summary records that repeat the history row right after them, byte for byte in length.

    `wandb.log` writes the row's items as a summary update and then as the history record; the
    two hold the same items (in another order), so equal sizes next to each other mark an echo.
    """
    nxt = summ + 1
    inside = nxt < item_bytes.size
    echo = np.zeros(summ.size, bool)
    follow = item_bytes[nxt[inside]]
    echo[inside] = (follow >= 0) & (kinds.end[summ[inside]] - kinds.start[summ[inside]] == follow)
    return echo
