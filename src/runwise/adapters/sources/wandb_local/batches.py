"""Whole records of a `.wandb` file, read segment by segment into reusable buffers.

Each segment's chunks come from `framing.walk_chunks`; whole (FULL) chunks stay in the buffer as
spans, records split over several chunks are joined after the segment's data. CRCs are checked on
demand by `RecordBatch.verified`, for the records a reader decodes.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from typing import IO

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local.checksums import CALL_BYTES, check_blocks, crc32
from runwise.adapters.sources.wandb_local.framing import (
    BLOCK,
    CHUNK_HEADER,
    FILE_HEADER,
    FIRST,
    FULL,
    LAST,
    PAD,
    Chunks,
    FrameReport,
    u32,
    walk_chunks,
)

SEGMENT = 1024 * BLOCK  # 32 MiB read at a time: memory stays bounded whatever the file size
SLACK = 4 << 20  # room after a segment's data for records that were split over several chunks
Buffer = bytearray | mmap.mmap


class RecordBatch:
    """Whole records of one segment: spans into `buf`, and each record's file offset (a global order key).

    CRCs are checked on demand (`verified`), only for the records a reader decodes: records it
    skips unread (summary echoes of history rows, system stats) cost no zlib call of their own. When the records
    to check are many, every block of the segment is checked with one zlib call (`checksums`), given the
    segment's `chunks`; that overwrites the chunk headers, so the stored CRCs are read first.
    """

    def __init__(
        self,
        raw: Buffer,
        starts: NDArray[np.int64],
        ends: NDArray[np.int64],
        offsets: NDArray[np.int64],
        checked: NDArray[np.bool_],
        report: FrameReport,
        chunks: Chunks | None = None,
    ) -> None:
        self.buf = np.frombuffer(raw, dtype=np.uint8)
        self.starts, self.ends, self.offsets, self.checked = starts, ends, offsets, checked
        self._raw = raw
        self._report = report
        self._chunks = chunks if chunks is not None and chunks.pos.size else None
        self._stored: NDArray[np.uint32] | None = None  # each record's stored CRC, once headers are overwritten

    def __len__(self) -> int:
        return int(self.starts.size)

    def payload(self, i: int) -> bytes:
        return bytes(self._raw[int(self.starts[i]) : int(self.ends[i])])

    def verified(self, idx: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether each record in `idx` passes its CRC; failures are counted in the report."""
        ok = np.ones(idx.size, bool)
        todo = np.nonzero(~self.checked[idx])[0]
        if todo.size and self._chunks is not None and self._by_blocks_pays(idx[todo], self._chunks):
            self._check_blocks(self._chunks)
            todo = todo[~self.checked[idx[todo]]]
        if todo.size == 0:
            return ok
        rec = idx[todo]
        view = memoryview(self._raw)
        lo = (self.starts[rec] - 1).tolist()  # the chunk's type byte precedes its payload
        hi = self.ends[rec].tolist()
        computed = np.array([crc32(view[a:b]) for a, b in zip(lo, hi)], np.uint32)
        del view
        stored = self._stored[rec] if self._stored is not None else self._stored_crcs(rec)
        bad = computed != stored
        if bad.any():
            ok[todo[bad]] = False
            self._report.corrupt(int(bad.sum()), int(self.offsets[rec[bad]].min()))
        return ok

    def _stored_crcs(self, rec: NDArray[np.int64]) -> NDArray[np.uint32]:
        return u32(self.buf, self.buf.size)[self.starts[rec] - CHUNK_HEADER]

    def _by_blocks_pays(self, rec: NDArray[np.int64], chunks: Chunks) -> bool:
        """Whether one zlib call per block costs less than one per record: the calls' overhead counted in bytes."""
        span = int(chunks.pos[-1] + CHUNK_HEADER + chunks.length[-1] - chunks.pos[0])
        return rec.size * CALL_BYTES + int((self.ends[rec] - self.starts[rec]).sum()) >= span

    def _check_blocks(self, chunks: Chunks) -> None:
        """Mark checked every record of the blocks that pass their one-call check (`checksums.check_blocks`)."""
        self._chunks = None
        self._stored = self._stored_crcs(np.arange(self.starts.size))
        blocks, good = check_blocks(self._raw, self.buf, chunks.pos, chunks.length)
        passed = blocks[good]
        if passed.size == 0:
            return
        table = np.zeros(int(passed[-1]) + 2, bool)
        table[passed] = True
        record_block = np.minimum((self.starts - CHUNK_HEADER) // BLOCK, table.size - 1)
        self.checked |= table[record_block]


class _Assembler:
    """Joins records split over several chunks (first, middle..., last), across segments too."""

    def __init__(self, report: FrameReport, mid_file: bool) -> None:
        self.report = report
        self.parts: list[bytes] = []
        self.start = -1  # file offset of the FIRST chunk
        self.expect = -1  # file offset where the next piece must begin
        self.quiet_orphans = mid_file  # reading from the middle of a file starts inside records

    def feed(self, kind: int, offset: int, payload: bytes) -> tuple[int, bytes] | None:
        follows = bool(self.parts) and offset == self.expect
        if kind == FIRST:
            self._drop()
            self.parts, self.start = [payload], offset
        elif follows:
            self.parts.append(payload)
            if kind == LAST:
                out = (self.start, b"".join(self.parts))
                self.parts = []
                self.quiet_orphans = False
                return out
        else:
            self._drop()
            if not self.quiet_orphans:
                self.report.broken_records += 1
            return None
        self.expect = (offset // BLOCK + 1) * BLOCK
        return None

    def interrupt(self) -> None:
        """A whole record arrived: any pending split record lost its end."""
        self._drop()
        self.quiet_orphans = False

    def finish(self, at_eof: bool) -> None:
        if self.parts and at_eof:
            self.report.partial_tail = True
            self.parts = []

    def _drop(self) -> None:
        if self.parts:
            self.report.broken_records += 1
            self.parts = []


def read_batches(
    stream: IO[bytes],
    size: int,
    report: FrameReport,
    *,
    start: int = 0,
    stop: int | None = None,
    segment: int = SEGMENT,
    buffers: int = 1,
) -> Iterator[RecordBatch]:
    """Whole records of `stream[start:stop]`, one batch per segment, in file order.

    `start` must be 0 or a block boundary (reading from the middle of a file skips the pieces of
    records that began before it). Damaged chunks are skipped and counted in `report`. Segments
    are read into `buffers` buffers in turn: a batch stays valid until `buffers - 1` more batches
    have been produced, so a consumer may keep that many in flight.
    """
    stop = size if stop is None else min(stop, size)
    assembler = _Assembler(report, mid_file=start > 0)
    capacity = min(segment, max(stop - start, 0))
    ring: list[Buffer] = [_buffer(capacity + PAD + SLACK)]
    stream.seek(start)
    offset = start
    turn = 0
    while offset < stop:
        if len(ring) < buffers and turn >= len(ring):
            ring.append(_buffer(capacity + PAD + SLACK))
        raw = ring[turn % len(ring)]
        turn += 1
        n = _read_into(stream, raw, min(segment, stop - offset))
        if n == 0:
            break
        u = np.frombuffer(raw, dtype=np.uint8)
        u[n : n + PAD] = 0
        at_eof = offset + n >= size
        chunks = walk_chunks(u, n, FILE_HEADER if offset == 0 else 0, at_eof, offset, report)
        del u
        batch, ring[(turn - 1) % len(ring)] = _records(raw, n, offset, chunks, assembler, report)
        assembler.finish(at_eof)
        if len(batch):
            yield batch
        offset += n
        if n < min(segment, stop - offset + n):
            break  # the file shrank while being read


def _buffer(size: int) -> mmap.mmap:
    """Zeroed memory that costs nothing until written: the slack after a segment is rarely touched, and a
    bytearray would be filled with zeros up front."""
    return mmap.mmap(-1, size)


def _read_into(stream: IO[bytes], raw: Buffer, want: int) -> int:
    view = memoryview(raw)[:want]
    got = 0
    readinto = stream.readinto  # type: ignore[attr-defined]  # every binary file object has it
    while got < want:
        k = readinto(view[got:])
        if not k:
            break
        got += k
    return got


def _records(
    raw: Buffer, n: int, offset: int, chunks: Chunks, assembler: _Assembler, report: FrameReport
) -> tuple[RecordBatch, Buffer]:
    """Spans of whole records; records split over chunks are joined after the data, in the slack."""
    pos, length, kind = chunks.pos, chunks.length, chunks.kind
    full = kind == FULL
    starts = pos[full] + CHUNK_HEADER
    ends = starts + length[full]
    offsets = pos[full] + offset
    if full.all():
        if pos.size:
            assembler.interrupt()
        return RecordBatch(raw, starts, ends, offsets, np.zeros(starts.size, bool), report, chunks), raw
    joined: list[tuple[int, bytes]] = []
    previous = -1
    split = np.nonzero(~full)[0]
    at = pos[split]
    stored = u32(np.frombuffer(raw, np.uint8), n + PAD)[at].tolist()
    view = memoryview(raw)
    for i, p, size, part, crc in zip(split.tolist(), at.tolist(), length[split].tolist(), kind[split].tolist(), stored):
        if i != previous + 1:
            assembler.interrupt()  # whole records came in between
        if crc32(view[p + CHUNK_HEADER - 1 : p + CHUNK_HEADER + size]) != crc:
            report.corrupt(1, offset + p)
            assembler.interrupt()
        else:
            done = assembler.feed(part, offset + p, bytes(view[p + CHUNK_HEADER : p + CHUNK_HEADER + size]))
            if done is not None:
                joined.append(done)
        previous = i
    del view
    if previous != pos.size - 1:
        assembler.interrupt()
    checked = np.zeros(starts.size, bool)
    if not joined:
        return RecordBatch(raw, starts, ends, offsets, checked, report, chunks), raw
    return _with_joined(raw, n, starts, ends, offsets, checked, joined, report, chunks)


def _with_joined(
    raw: Buffer,
    n: int,
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    offsets: NDArray[np.int64],
    checked: NDArray[np.bool_],
    joined: list[tuple[int, bytes]],
    report: FrameReport,
    chunks: Chunks,
) -> tuple[RecordBatch, Buffer]:
    """Write joined records after the segment's data and merge them into file order."""
    extra = b"".join(payload for _, payload in joined)
    at = n + PAD
    if at + len(extra) + PAD > len(raw):
        raw = bytearray(raw[:at]) + bytearray(len(extra) + PAD + SLACK)  # rare: split records larger than the slack
    raw[at : at + len(extra)] = extra
    raw[at + len(extra) : at + len(extra) + PAD] = bytes(PAD)
    lengths = np.fromiter((len(p) for _, p in joined), np.int64, count=len(joined))
    j_starts = at + np.cumsum(lengths) - lengths
    j_offsets = np.fromiter((o for o, _ in joined), np.int64, count=len(joined))
    # joined record k goes before the whole records that start after it: at its rank among them, plus k
    into = np.searchsorted(offsets, j_offsets) + np.arange(len(joined))
    whole = np.ones(starts.size + len(joined), bool)
    whole[into] = False

    def merged(old: NDArray[np.int64], new: NDArray[np.int64]) -> NDArray[np.int64]:
        out = np.empty(whole.size, np.int64)
        out[whole], out[into] = old, new
        return out

    now_checked = np.ones(whole.size, bool)  # each piece of a joined record passed its CRC
    now_checked[whole] = checked
    batch = RecordBatch(
        raw,
        merged(starts, j_starts),
        merged(ends, j_starts + lengths),
        merged(offsets, j_offsets),
        now_checked,
        report,
        chunks,
    )
    return batch, raw
