"""Reading event files in bounded blocks: frame, checksum, decode, and say what was skipped."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import attrs

from runwise.adapters.allocator import reuse_freed_memory
from runwise.adapters.fs import open_regular
from runwise.adapters.sources.tensorboard.columns import Columns
from runwise.adapters.sources.tensorboard.decode import DecodeReport, decode_frames
from runwise.adapters.sources.tensorboard.records import FrameReport, frame
from runwise.domain.shared_repr import fields_repr

BLOCK_BYTES = 16 << 20  # memory stays bounded by a few blocks however large the file


@attrs.define
class FileReport:
    """What reading one event file had to skip."""

    __repr__ = fields_repr

    label: str
    frames: FrameReport = attrs.field(factory=FrameReport)
    decoding: DecodeReport = attrs.field(factory=DecodeReport)
    partial_tail: int = 0  # bytes of an incomplete last record
    error: str | None = None

    def warnings(self) -> list[str]:
        out = []
        d, f = self.decoding, self.frames
        if self.error:
            out.append(f"{self.label}: could not be read ({self.error})")
        if d.bad_checksums:
            out.append(
                f"{self.label}: skipped {d.bad_checksums} record{_s(d.bad_checksums)} whose checksum failed"
                f" (first at byte {d.first_bad_checksum})"
            )
        if f.bad_headers:
            out.append(
                f"{self.label}: skipped {f.skipped_bytes} bytes after {f.bad_headers} damaged record"
                f" header{_s(f.bad_headers)} (first at byte {f.first_bad_offset})"
            )
        if d.undecodable:
            out.append(
                f"{self.label}: skipped {d.undecodable} record{_s(d.undecodable)} that are not TensorBoard events"
                f" (first at byte {d.first_undecodable})"
            )
        if self.partial_tail:
            out.append(
                f"{self.label}: last record is incomplete ({self.partial_tail} bytes; file still being written?);"
                " read up to the record before"
            )
        return out


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def read_files(
    paths: Sequence[Path], labels: Sequence[str], block_bytes: int = BLOCK_BYTES
) -> tuple[Columns, list[FileReport]]:
    """Every record of the files, in the given (write) order, into one set of columns."""
    columns = Columns()
    reports = []
    ordinal = 0
    with reuse_freed_memory():  # each block's temporaries reused by the next (see adapters/allocator.py)
        for path, label in zip(paths, labels):
            report = FileReport(label)
            try:
                ordinal = _read_file(path, columns, ordinal, report, block_bytes)
            except OSError as exc:
                report.error = exc.strerror or str(exc)
            reports.append(report)
    return columns, reports


def _read_file(path: Path, columns: Columns, ordinal: int, report: FileReport, block_bytes: int) -> int:
    carry = b""
    offset = 0  # file offset of carry[0]
    needed = 0
    with open_regular(path) as stream:
        while True:
            file_end = os.fstat(stream.fileno()).st_size - offset  # re-read: the file may be growing
            want = max(block_bytes, needed - len(carry))
            chunk = stream.read(max(0, min(want, file_end - len(carry))))  # never what a header merely claims
            if not chunk:
                break
            buf = carry + chunk if carry else chunk
            frames = frame(buf, report.frames, base=offset, file_end=max(file_end, len(buf)))
            decode_frames(buf, frames, ordinal, columns, report.decoding, base=offset)
            ordinal += int(frames.starts.size)
            carry = buf[frames.consumed :]
            offset += frames.consumed
            needed = frames.needed
    report.partial_tail = len(carry)
    return ordinal
