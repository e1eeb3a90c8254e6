"""TFRecord framing: find every whole record of a buffer without a Python step per record.

A record is `uint64 length | uint32 masked_crc32c(length) | payload | uint32 masked_crc32c(payload)`.
Walking lengths one by one costs ~0.4 µs a record in Python, as much as everything else together, so
record starts are guessed in bulk instead: every offset whose payload would begin with byte 0x09
(Event.wall_time, the first field TensorFlow, PyTorch and tensorboardX write) and whose length field
carries a valid checksum. Consecutive guesses that chain (one record ends where the next begins) are
taken as a run; anything else — an Event without wall_time, a record header whose checksum fails —
is walked record by record from the last known boundary. A header whose checksum fails cannot be
trusted for its length, so reading resumes at the next valid header and the skipped bytes are reported.
"""

from __future__ import annotations

import struct

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.tensorboard.crc32c import crc32c, crc32c_rows, mask
from runwise.domain.shared_repr import fields_repr

HEADER = 12  # length (8) + its checksum (4)
FOOTER = 4  # payload checksum
_MASK_DELTA = 0xA282EAD8
I64 = NDArray[np.int64]


@attrs.define
class FrameReport:
    """Damage met while framing one file."""

    __repr__ = fields_repr

    bad_headers: int = 0
    skipped_bytes: int = 0
    first_bad_offset: int | None = None

    def skipped(self, offset: int, nbytes: int) -> None:
        self.bad_headers += 1
        self.skipped_bytes += nbytes
        if self.first_bad_offset is None:
            self.first_bad_offset = offset


@attrs.frozen
class Frames:
    """Whole records found in a buffer: payload starts and lengths, in file order."""

    __repr__ = fields_repr

    starts: I64
    lengths: I64
    consumed: int  # bytes up to the end of the last whole record (or skipped damage)
    needed: int  # bytes the record straddling the end needs in total (0 if unknown)


def _masked(crc: int) -> int:
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def _header(buf: bytes, pos: int) -> int | None:
    """The payload length of the record at `pos`, or None if its header checksum fails."""
    length, stored = struct.unpack_from("<QI", buf, pos)
    return length if _masked(crc32c(buf[pos : pos + 8])) == stored else None


def gather_u32(data: NDArray[np.uint8], at: I64) -> NDArray[np.uint32]:
    """The little-endian uint32 at each offset."""
    return np.lib.stride_tricks.sliding_window_view(data, 4)[at].view("<u4").ravel()


def candidates(data: NDArray[np.uint8]) -> tuple[I64, I64]:
    """Offsets whose header checksum is valid and whose payload starts with 0x09, with their lengths."""
    if data.size <= HEADER:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    at = np.flatnonzero(data[HEADER:] == 0x09)
    headers = np.lib.stride_tricks.sliding_window_view(data, 8)[at]  # (n, 8) length fields
    lengths = headers.view("<u8").ravel()
    small = lengths < (1 << 32)  # payloads under 4 GiB
    if not small.all():
        at, headers, lengths = at[small], headers[small], lengths[small]
    ok = mask(crc32c_rows(headers)) == gather_u32(data, at + 8)
    return at[ok].astype(np.int64), lengths[ok].astype(np.int64)


def frame(buf: bytes, report: FrameReport, base: int = 0, file_end: int | None = None) -> Frames:
    """Every whole record in `buf`; `base` is buf's offset in the file (for messages).

    `file_end` is how many bytes the file holds from buf's start. A header whose checksum holds but
    whose length runs past the end of the file (2^35, 2^64-1) is damage, not a record to wait for,
    when a valid header follows it; otherwise it is the file's incomplete tail. Either way the stated
    length is never allocated.
    """
    data = np.frombuffer(buf, dtype=np.uint8)
    size = len(buf)
    cand, cand_len = candidates(data)
    ends = cand + HEADER + cand_len + FOOTER
    breaks = np.flatnonzero(ends[:-1] != cand[1:]) if cand.size > 1 else np.zeros(0, dtype=np.int64)
    runs: list[tuple[int, int]] = []  # candidate index ranges taken whole
    singles: list[tuple[int, int]] = []  # records walked one by one: (start, length)
    pos, needed = 0, 0
    while pos < size:
        k = int(np.searchsorted(cand, pos))
        if k < cand.size and cand[k] == pos:
            b = int(np.searchsorted(breaks, k))
            last = int(breaks[b]) if b < breaks.size else cand.size - 1
            if ends[last] > size:  # the chain's last record is cut by the end of the buffer
                if last > k:
                    runs.append((k, last))
                pos = int(cand[last])
                needed = int(ends[last] - cand[last])
                break
            runs.append((k, last + 1))
            pos = int(ends[last])
            continue
        if pos + HEADER > size:
            break
        length = _header(buf, pos)
        if length is not None and file_end is not None and pos + HEADER + length + FOOTER > file_end:
            if np.searchsorted(cand, pos + 1) < cand.size:
                length = None  # a later record exists, so this length cannot be right: skip to it
            else:
                needed = min(HEADER + length + FOOTER, file_end - pos)
                break
        if length is not None:
            if pos + HEADER + length + FOOTER > size:
                needed = HEADER + length + FOOTER
                break
            singles.append((pos, length))
            pos += HEADER + length + FOOTER
            continue
        k = int(np.searchsorted(cand, pos + 1))
        resume = int(cand[k]) if k < cand.size else max(pos + 1, size - HEADER)
        report.skipped(base + pos, resume - pos)
        pos = resume
        if k >= cand.size:
            break
    return _assemble(cand, cand_len, runs, singles, pos, needed)


def _assemble(
    cand: I64, cand_len: I64, runs: list[tuple[int, int]], singles: list[tuple[int, int]], pos: int, needed: int
) -> Frames:
    parts_start = [cand[a:b] for a, b in runs]
    parts_len = [cand_len[a:b] for a, b in runs]
    if singles:
        parts_start.append(np.array([s for s, _ in singles], dtype=np.int64))
        parts_len.append(np.array([n for _, n in singles], dtype=np.int64))
    if not parts_start:
        empty = np.zeros(0, dtype=np.int64)
        return Frames(empty, empty, pos, needed)
    starts = np.concatenate(parts_start)
    lengths = np.concatenate(parts_len)
    if singles and len(parts_start) > 1:
        order = np.argsort(starts, kind="stable")
        starts, lengths = starts[order], lengths[order]
    return Frames(starts + HEADER, lengths, pos, needed)
