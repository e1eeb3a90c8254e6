"""The protobuf wire format, read by hand: just enough to walk Event, Summary and TensorProto.

A hand-written walker costs no import (google.protobuf takes ~20 ms to import and building message
classes more) and reports where each field lies in the record, which the columnar decoder needs to
build its templates. Only records the fast path cannot take come through here.
"""

from __future__ import annotations

from collections.abc import Iterator

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """The varint at `pos` and the position after it."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise WireError("varint runs past the end of the message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def fields(buf: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, a, b) for every field of the message in buf[start:end].

    For varints `a` is the value and `b` the position after it; for every other wire type
    buf[a:b] holds the field's bytes.
    """
    pos = start
    while pos < end:
        key, pos = varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == VARINT:
            value, after = varint(buf, pos, end)
            yield number, wire, value, after
            pos = after
            continue
        if wire == FIXED64:
            stop = pos + 8
        elif wire == FIXED32:
            stop = pos + 4
        elif wire == LENGTH:
            size, pos = varint(buf, pos, end)
            stop = pos + size
        else:
            raise WireError(f"unsupported wire type {wire}")
        if stop > end:
            raise WireError("field runs past the end of the message")
        yield number, wire, pos, stop
        pos = stop


def packed_varints(buf: bytes, start: int, end: int) -> list[int]:
    """Every varint of a packed repeated field."""
    out = []
    pos = start
    while pos < end:
        value, pos = varint(buf, pos, end)
        out.append(value)
    return out


def signed64(value: int) -> int:
    """An int64 varint read as unsigned, back to its signed value."""
    return value - (1 << 64) if value >= 1 << 63 else value
