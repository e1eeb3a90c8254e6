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
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.domain.shared_repr import fields_repr

BLOCK = 32 * 1024
CHUNK_HEADER = 7
FILE_HEADER = 7
MAGIC = b":W&B"
MAGIC_NUMBER = 0xBEE1
VERSIONS = (0, 1)
PAD = 64  # zero bytes kept after the data so that unaligned 8-byte reads never leave the buffer
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

    __repr__ = fields_repr

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


@attrs.frozen
class Chunks:
    __repr__ = fields_repr

    pos: NDArray[np.int64]  # header position in the segment
    length: NDArray[np.int64]
    kind: NDArray[np.uint8]


def u32(buf: NDArray[np.uint8], n: int) -> NDArray[np.uint32]:
    """Unaligned little-endian uint32 at every byte offset (a strided view, no copy)."""
    return np.ndarray(shape=(max(n - 3, 0),), dtype="<u4", buffer=buf, strides=(1,))


def walk_chunks(u: NDArray[np.uint8], n: int, first: int, at_eof: bool, base: int, report: FrameReport) -> Chunks:
    """Every chunk header of `u[:n]` in file order; damaged blocks are cut where the damage starts."""
    nblocks = -(-n // BLOCK)
    if nblocks == 0:
        empty = np.zeros(0, np.int64)
        return Chunks(empty, empty, np.zeros(0, np.uint8))
    pos = np.arange(nblocks, dtype=np.int64) * BLOCK
    limit = np.minimum(pos + BLOCK, n)
    pos[0] = max(int(pos[0]), first)
    u16 = np.ndarray(shape=(n + PAD - 1,), dtype="<u2", buffer=u, strides=(1,))
    words32 = u32(u, n + PAD)
    # length (2 bytes) and type (1 byte) of the chunk whose header starts at p, read as one word at p + 4
    length_and_type = words32[4:]
    alive = np.nonzero(limit - pos >= CHUNK_HEADER)[0]
    found: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    # the blocks still being walked (`alive`), each one's next chunk position and its end, kept side by side
    p, lim = pos[alive], limit[alive]
    last, last_pos = nblocks - 1, int(pos[-1])
    room = lim - CHUNK_HEADER  # a chunk ending past this leaves no room for another header in its block
    while alive.size:
        head = length_and_type[p]
        end = p + CHUNK_HEADER + (head & 0xFFFF)
        # types 1-4: subtracting 1 from the type byte wraps type 0 around to 0xff
        ok = (end <= lim) & (((head - 0x10000) & 0xFF0000) < (LAST << 16))
        more = end <= room
        if (ok & more).all():
            found.append((p, alive))
            p = end
            continue
        if not ok.all():
            kind = (head >> 16) & 0xFF
            _classify_stops(~ok, p, lim, end - p - CHUNK_HEADER, kind, words32, n, at_eof, base, report)
            if alive[-1] == last and not ok[-1]:
                last_pos = int(p[-1])
            alive, p, end, lim, room, more = alive[ok], p[ok], end[ok], lim[ok], room[ok], more[ok]
        found.append((p, alive))
        if alive.size and alive[-1] == last and not more[-1]:
            last_pos = int(end[-1])
        alive, p, lim, room = alive[more], end[more], lim[more], room[more]
    if at_eof and n % BLOCK and 0 < n - last_pos < CHUNK_HEADER and u[last_pos:n].any():
        report.partial_tail = True  # a chunk header cut short by the end of the file
    ordered = _in_file_order(found, nblocks)
    return Chunks(ordered, u16[ordered + 4].astype(np.int64), u[ordered + 6])


def _classify_stops(
    bad: NDArray[np.bool_],
    p: NDArray[np.int64],
    lim: NDArray[np.int64],
    length: NDArray[np.int64],
    kind: NDArray[np.integer[Any]],
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
