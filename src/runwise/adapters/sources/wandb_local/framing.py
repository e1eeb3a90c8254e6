"""LevelDB-log framing of `.wandb` files, walked with numpy across all blocks at once.

Layout (checked on files written by wandb 0.31): a 7-byte header (`:W&B`, uint16 LE 0xBEE1, uint8
version 0 or 1), then 32 KiB blocks (the first 7 bytes short). Each chunk is uint32 LE CRC, uint16
LE length, uint8 type (1 full, 2 first, 3 middle, 4 last) and the payload; the CRC is zlib's crc32
of the type byte followed by the payload. Fewer than 7 bytes left in a block are padding, and an
all-zero chunk header marks the unwritten tail of a block.

Chunks never cross a block boundary, so every block can be walked independently: one numpy step
advances every block by one chunk. That replaces a Python loop over hundreds of thousands of chunks
with a few hundred vector steps. Payloads stay in the read buffer; a record is a (start, end) span.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from typing import IO

import attrs
import numpy as np
from numpy.typing import NDArray

BLOCK = 32 * 1024
CHUNK_HEADER = 7
FILE_HEADER = 7
MAGIC = b":W&B"
MAGIC_NUMBER = 0xBEE1
VERSIONS = (0, 1)
PAD = 64  # zero bytes kept after the data so that unaligned 8-byte reads never leave the buffer
SEGMENT = 1024 * BLOCK  # 32 MiB read at a time: memory stays bounded whatever the file size
SLACK = 4 << 20  # room after a segment's data for records that were split over several chunks
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


_LOCK = threading.Lock()


class NotAWandbFile(ValueError):
    """The file does not start with the `.wandb` header."""


def check_header(head: bytes) -> int:
    """The format version of a `.wandb` file from its first 7 bytes."""
    if len(head) < FILE_HEADER or head[:4] != MAGIC or int.from_bytes(head[4:6], "little") != MAGIC_NUMBER:
        raise NotAWandbFile("not a W&B run file (bad header)")
    version = head[6]
    if version not in VERSIONS:
        raise NotAWandbFile(f"unsupported .wandb format version {version}")
    return version


@attrs.define
class FrameReport:
    """Damage met while framing, for one line each in the run's warnings."""

    corrupt_chunks: int = 0
    first_corrupt_offset: int | None = None
    broken_records: int = 0
    partial_tail: bool = False

    def corrupt(self, count: int, offset: int) -> None:
        with _LOCK:  # CRCs are checked in worker threads
            self._corrupt(count, offset)

    def _corrupt(self, count: int, offset: int) -> None:
        self.corrupt_chunks += count
        if self.first_corrupt_offset is None or offset < self.first_corrupt_offset:
            self.first_corrupt_offset = offset

    def warnings(self) -> list[str]:
        out = []
        if self.corrupt_chunks:
            out.append(
                f"skipped {self.corrupt_chunks} corrupt chunk{'s' if self.corrupt_chunks != 1 else ''} of the .wandb file"
                f" (first at byte {self.first_corrupt_offset}); the records in them are lost"
            )
        if self.broken_records:
            out.append(f"skipped {self.broken_records} record(s) split across chunks with a part missing")
        if self.partial_tail:
            out.append(
                "the last record of the .wandb file is incomplete (still being written?); read up to the one before"
            )
        return out


class RecordBatch:
    """Whole records of one segment: spans into `buf`, and each record's file offset (a global order key).

    CRCs are checked on demand (`verified`), only for the records a reader decodes: records it
    skips unread (summary echoes of history rows, system stats) cost no zlib call.
    """

    def __init__(
        self,
        raw: bytearray,
        starts: NDArray[np.int64],
        ends: NDArray[np.int64],
        offsets: NDArray[np.int64],
        checked: NDArray[np.bool_],
        report: FrameReport,
    ) -> None:
        self.buf = np.frombuffer(raw, dtype=np.uint8)
        self.starts, self.ends, self.offsets, self.checked = starts, ends, offsets, checked
        self._raw = raw
        self._report = report

    def __len__(self) -> int:
        return int(self.starts.size)

    def payload(self, i: int) -> bytes:
        return bytes(self._raw[int(self.starts[i]) : int(self.ends[i])])

    def verified(self, idx: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether each record in `idx` passes its CRC; failures are counted in the report."""
        ok = np.ones(idx.size, bool)
        todo = np.nonzero(~self.checked[idx])[0]
        if todo.size == 0:
            return ok
        rec = idx[todo]
        view = memoryview(self._raw)
        lo = (self.starts[rec] - 1).tolist()  # the chunk's type byte precedes its payload
        hi = self.ends[rec].tolist()
        computed = np.fromiter(map(zlib.crc32, map(view.__getitem__, map(slice, lo, hi))), np.uint32, count=rec.size)
        stored = _u32(self.buf, self.buf.size)[self.starts[rec] - CHUNK_HEADER]
        bad = computed != stored
        if bad.any():
            ok[todo[bad]] = False
            self._report.corrupt(int(bad.sum()), int(self.offsets[rec[bad]].min()))
        return ok


@attrs.frozen
class _Chunks:
    pos: NDArray[np.int64]  # header position in the segment
    length: NDArray[np.int64]
    kind: NDArray[np.uint8]


def _u32(buf: NDArray[np.uint8], n: int) -> NDArray[np.uint32]:
    """Unaligned little-endian uint32 at every byte offset (a strided view, no copy)."""
    return np.ndarray(shape=(max(n - 3, 0),), dtype="<u4", buffer=buf, strides=(1,))


def _walk(u: NDArray[np.uint8], n: int, first: int, at_eof: bool, base: int, report: FrameReport) -> _Chunks:
    """Every chunk header of `u[:n]` in file order; damaged blocks are cut where the damage starts."""
    nblocks = -(-n // BLOCK)
    if nblocks == 0:
        empty = np.zeros(0, np.int64)
        return _Chunks(empty, empty, np.zeros(0, np.uint8))
    pos = np.arange(nblocks, dtype=np.int64) * BLOCK
    limit = np.minimum(pos + BLOCK, n)
    pos[0] = max(int(pos[0]), first)
    u16 = np.ndarray(shape=(n + PAD - 1,), dtype="<u2", buffer=u, strides=(1,))
    u32 = _u32(u, n + PAD)
    alive = np.nonzero(limit - pos >= CHUNK_HEADER)[0]
    found: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    while alive.size:
        p = pos[alive]
        lim = limit[alive]
        kind = u[p + 6]
        end = p + CHUNK_HEADER + u16[p + 4]
        ok = (end <= lim) & (kind >= FULL) & (kind <= LAST)
        if not ok.all():
            length = end - p - CHUNK_HEADER
            _classify_stops(~ok, p, lim, length, kind, u32, n, at_eof, base, report)
            alive, p, end = alive[ok], p[ok], end[ok]
        found.append((p, alive))
        pos[alive] = end
        alive = alive[limit[alive] - end >= CHUNK_HEADER]
    if at_eof and n % BLOCK:
        last_pos = int(pos[-1])
        if 0 < n - last_pos < CHUNK_HEADER and u[last_pos:n].any():
            report.partial_tail = True  # a chunk header cut short by the end of the file
    ordered = _in_file_order(found, nblocks)
    return _Chunks(ordered, u16[ordered + 4].astype(np.int64), u[ordered + 6])


def _classify_stops(
    bad: NDArray[np.bool_],
    p: NDArray[np.int64],
    lim: NDArray[np.int64],
    length: NDArray[np.int64],
    kind: NDArray[np.uint8],
    u32: NDArray[np.uint32],
    n: int,
    at_eof: bool,
    base: int,
    report: FrameReport,
) -> None:
    """A block walk stops at padding (all-zero header), at the end of a growing file, or at damage."""
    zero = bad & (kind == 0) & (length == 0) & (u32[np.minimum(p, u32.size - 1)] == 0)
    truncated = bad & ~zero & at_eof & (lim == n) & (p + CHUNK_HEADER + length > n) & (kind >= FULL) & (kind <= LAST)
    if truncated.any():
        report.partial_tail = True
    damaged = bad & ~zero & ~truncated
    if damaged.any():
        report.corrupt(int(damaged.sum()), base + int(p[damaged].min()))


def _in_file_order(found: list[tuple[NDArray[np.int64], NDArray[np.int64]]], nblocks: int) -> NDArray[np.int64]:
    """Chunk positions collected round by round, reordered block-major (file order) without sorting.

    Round r found the r-th chunk of every block still being walked, so a chunk's rank within its
    block is its round.
    """
    if not found:
        return np.zeros(0, np.int64)
    blocks = np.concatenate([f[1] for f in found])
    rounds = np.repeat(np.arange(len(found)), [f[1].size for f in found])
    counts = np.bincount(blocks, minlength=nblocks)
    target = (np.cumsum(counts) - counts)[blocks] + rounds
    out = np.empty(blocks.size, np.int64)
    out[target] = np.concatenate([f[0] for f in found])
    return out


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
    ring = [bytearray(capacity + PAD + SLACK)]
    stream.seek(start)
    offset = start
    turn = 0
    while offset < stop:
        if len(ring) < buffers and turn >= len(ring):
            ring.append(bytearray(capacity + PAD + SLACK))
        raw = ring[turn % len(ring)]
        turn += 1
        n = _read_into(stream, raw, min(segment, stop - offset))
        if n == 0:
            break
        u = np.frombuffer(raw, dtype=np.uint8)
        u[n:] = 0
        at_eof = offset + n >= size
        chunks = _walk(u, n, FILE_HEADER if offset == 0 else 0, at_eof, offset, report)
        del u
        batch, ring[(turn - 1) % len(ring)] = _records(raw, n, offset, chunks, assembler, report)
        assembler.finish(at_eof)
        if len(batch):
            yield batch
        offset += n
        if n < min(segment, stop - offset + n):
            break  # the file shrank while being read


def _read_into(stream: IO[bytes], raw: bytearray, want: int) -> int:
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
    raw: bytearray, n: int, offset: int, chunks: _Chunks, assembler: _Assembler, report: FrameReport
) -> tuple[RecordBatch, bytearray]:
    """Spans of whole records; records split over chunks are joined after the data, in the slack."""
    pos, length, kind = chunks.pos, chunks.length, chunks.kind
    full = kind == FULL
    starts = pos[full] + CHUNK_HEADER
    ends = starts + length[full]
    offsets = pos[full] + offset
    if full.all():
        if pos.size:
            assembler.interrupt()
        return RecordBatch(raw, starts, ends, offsets, np.zeros(starts.size, bool), report), raw
    joined: list[tuple[int, bytes]] = []
    previous = -1
    for i in np.nonzero(~full)[0].tolist():
        if i != previous + 1:
            assembler.interrupt()  # whole records came in between
        p = int(pos[i])
        piece = bytes(raw[p + CHUNK_HEADER - 1 : p + CHUNK_HEADER + int(length[i])])
        if zlib.crc32(piece) != int.from_bytes(raw[p : p + 4], "little"):
            report.corrupt(1, offset + p)
            assembler.interrupt()
        else:
            done = assembler.feed(int(kind[i]), offset + p, piece[1:])
            if done is not None:
                joined.append(done)
        previous = i
    if previous != pos.size - 1:
        assembler.interrupt()
    checked = np.zeros(starts.size, bool)
    if not joined:
        return RecordBatch(raw, starts, ends, offsets, checked, report), raw
    return _with_joined(raw, n, starts, ends, offsets, checked, joined, report)


def _with_joined(
    raw: bytearray,
    n: int,
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    offsets: NDArray[np.int64],
    checked: NDArray[np.bool_],
    joined: list[tuple[int, bytes]],
    report: FrameReport,
) -> tuple[RecordBatch, bytearray]:
    """Write joined records after the segment's data and merge them into file order."""
    extra = b"".join(payload for _, payload in joined)
    at = n + PAD
    if at + len(extra) + PAD > len(raw):
        raw = raw[:at] + bytearray(len(extra) + PAD + SLACK)  # rare: split records larger than the slack
    raw[at : at + len(extra)] = extra
    raw[at + len(extra) : at + len(extra) + PAD] = bytes(PAD)
    lengths = np.fromiter((len(p) for _, p in joined), np.int64, count=len(joined))
    j_starts = at + np.cumsum(lengths) - lengths
    j_offsets = np.fromiter((o for o, _ in joined), np.int64, count=len(joined))
    where = np.searchsorted(offsets, j_offsets)
    batch = RecordBatch(
        raw,
        np.insert(starts, where, j_starts),
        np.insert(ends, where, j_starts + lengths),
        np.insert(offsets, where, j_offsets),
        np.insert(checked, where, True),
        report,
    )
    return batch, raw
