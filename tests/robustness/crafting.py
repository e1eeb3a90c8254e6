"""Damage real log files the way hostile or broken writers do, keeping their checksums valid.

The files themselves come from the real libraries (wandb offline, tensorboardX); only the bytes
named by each test are changed afterwards, and the framing checksums are recomputed so the reader
meets the damaged value itself, not a checksum failure.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

WANDB_BLOCK = 32 * 1024
WANDB_HEADER = 7


def refresh_wandb_crcs(data: bytes) -> bytes:
    """Recompute every chunk CRC of a `.wandb` file (zlib crc32 of type byte + payload)."""
    out = bytearray(data)
    pos = WANDB_HEADER
    while pos + 7 <= len(out):
        block_end = (pos // WANDB_BLOCK + 1) * WANDB_BLOCK
        if block_end - pos < 7:
            pos = block_end
            continue
        length = int.from_bytes(out[pos + 4 : pos + 6], "little")
        kind = out[pos + 6]
        if length == 0 and kind == 0:
            pos = block_end
            continue
        payload = bytes(out[pos + 7 : pos + 7 + length])
        out[pos : pos + 4] = struct.pack("<I", zlib.crc32(bytes([kind]) + payload) & 0xFFFFFFFF)
        pos += 7 + length
    return bytes(out)


def replace_in_wandb(path: Path, marker: bytes, replacement: bytes) -> None:
    """Overwrite every `marker` (each inside one chunk) with same-length `replacement`; CRCs stay valid.

    W&B writes a logged value twice (history row and summary echo): both carry the hostile text.
    """
    assert len(replacement) == len(marker)
    data = path.read_bytes()
    assert data.count(marker) > 0, "marker not found whole in one chunk"
    path.write_bytes(refresh_wandb_crcs(data.replace(marker, replacement)))


def tfrecord_header(length: int) -> bytes:
    """A TFRecord length field with a valid masked CRC32C, claiming `length` payload bytes."""
    from runwise.adapters.sources.tensorboard.crc32c import crc32c

    head = struct.pack("<Q", length)
    crc = crc32c(head)
    masked = ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
    return head + struct.pack("<I", masked)


def padded(text: str, width: int) -> bytes:
    """`text` padded with JSON whitespace to `width` bytes."""
    raw = text.encode()
    assert len(raw) <= width
    return raw + b" " * (width - len(raw))
