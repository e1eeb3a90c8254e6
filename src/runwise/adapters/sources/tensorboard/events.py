"""One Event record, decoded by hand: its scalars (both encodings), plugin data and where each field lies.

Field numbers follow tensorboard/compat/proto (event.proto, summary.proto, tensor.proto). Scalars are
`Summary.Value.simple_value` (tensorboardX, PyTorch) or a rank-0 `Value.tensor` (TF2
`tf.summary.scalar`, `tensorboard.summary.Writer`) whose number sits in `float_val`, `double_val`,
the integer fields or raw `tensor_content`. A tensor's plugin is named only on the first value of a
tag, so whether a tensor tag is a metric is decided per tag once the whole run is read.
"""

from __future__ import annotations

import struct

import attrs

from runwise.adapters.sources.tensorboard.wire import FIXED32, FIXED64, LENGTH, VARINT, fields, packed_varints, signed64
from runwise.domain.shared_repr import fields_repr

# TensorProto dtype -> numpy format of one element in tensor_content ("bf16" is converted by hand)
CONTENT_FORMATS: dict[int, str] = {
    1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "u1",
    14: "bf16", 17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8",
}  # fmt: skip
_ITEMSIZE = {
    "<f4": 4,
    "<f8": 8,
    "<i4": 4,
    "u1": 1,
    "<i2": 2,
    "i1": 1,
    "<i8": 8,
    "bf16": 2,
    "<u2": 2,
    "<f2": 2,
    "<u4": 4,
    "<u8": 8,
}
DT_STRING = 7
DT_HALF, DT_BFLOAT16 = 19, 14
SESSION_START = 1

# Summary.Value fields
_TAG, _SIMPLE, _IMAGE, _HISTO, _AUDIO, _NODE_NAME, _TENSOR, _METADATA = 1, 2, 4, 5, 6, 7, 8, 9
_PLUGIN_KINDS = {"histograms": "histogram", "images": "image", "audio": "audio", "text": "text", "hparams": "hparams"}


@attrs.define
class ParsedValue:
    """One Summary.Value: a number (with where its bytes lie) or another kind of data."""

    __repr__ = fields_repr

    tag: str
    kind: str  # "simple" | "tensor" (numbers) or "histogram" | "image" | "audio" | "text" | "hparams" | "other"
    plugin: str | None = None
    number: float | None = None
    at: int | None = None  # offset of the number's bytes in the record, when they have a fixed width
    fmt: str | None = None  # numpy format of those bytes
    content: bytes = b""  # plugin content (hparams)


@attrs.define
class ParsedEvent:
    """An Event: wall time, step, summary values, and whether it holds anything besides them."""

    __repr__ = fields_repr

    wall_time: float = 0.0
    wall_at: int | None = None
    step: int = 0
    step_at: int | None = None
    step_len: int = 0
    values: list[ParsedValue] = attrs.field(factory=list)
    session_start: bool = False
    summary_only: bool = True


def parse_event(buf: bytes, start: int, end: int) -> ParsedEvent:
    """Decode buf[start:end] as an Event; offsets in the result are relative to `start`.

    Raises WireError when the bytes are not an Event.
    """
    event = ParsedEvent()
    for number, wire, a, b in fields(buf, start, end):
        if number == 1 and wire == FIXED64:
            event.wall_time = struct.unpack_from("<d", buf, a)[0]
            event.wall_at = a - start
        elif number == 2 and wire == VARINT:
            event.step = signed64(a)
            event.step_len = _varint_length(a)
            event.step_at = b - event.step_len - start
        elif number == 5 and wire == LENGTH:
            event.values.extend(_summary(buf, a, b, start))
        elif number == 7 and wire == LENGTH:
            event.summary_only = False
            event.session_start = any(n == 1 and w == VARINT and v == SESSION_START for n, w, v, _ in fields(buf, a, b))
        else:
            event.summary_only = False
    return event


def _varint_length(value: int) -> int:
    return max(1, (value.bit_length() + 6) // 7)


def _summary(buf: bytes, start: int, end: int, base: int) -> list[ParsedValue]:
    return [_value(buf, a, b, base) for number, wire, a, b in fields(buf, start, end) if number == 1 and wire == LENGTH]


def _value(buf: bytes, start: int, end: int, base: int) -> ParsedValue:
    tag = node_name = ""
    kind = "other"
    plugin: str | None = None
    content = b""
    number: float | None = None
    at: int | None = None
    fmt: str | None = None
    tensor: tuple[int, int] | None = None
    for field, wire, a, b in fields(buf, start, end):
        if field == _TAG and wire == LENGTH:
            tag = buf[a:b].decode("utf-8", "replace")
        elif field == _NODE_NAME and wire == LENGTH:
            node_name = buf[a:b].decode("utf-8", "replace")
        elif field == _SIMPLE and wire == FIXED32:
            kind, number, at, fmt = "simple", struct.unpack_from("<f", buf, a)[0], a - base, "<f4"
        elif field == _HISTO:
            kind = "histogram"
        elif field == _IMAGE:
            kind = "image"
        elif field == _AUDIO:
            kind = "audio"
        elif field == _TENSOR and wire == LENGTH:
            tensor = (a, b)
        elif field == _METADATA and wire == LENGTH:
            plugin, content = _metadata(buf, a, b)
    if tensor is not None:
        kind, number, at, fmt = _tensor(buf, tensor[0], tensor[1], base)
    if plugin in _PLUGIN_KINDS and kind not in ("simple",):
        kind = _PLUGIN_KINDS[plugin]
    return ParsedValue(tag or node_name, kind, plugin, number, at, fmt, content)


def _metadata(buf: bytes, start: int, end: int) -> tuple[str | None, bytes]:
    plugin: str | None = None
    content = b""
    for field, wire, a, b in fields(buf, start, end):
        if field == 1 and wire == LENGTH:
            for inner, inner_wire, c, d in fields(buf, a, b):
                if inner == 1 and inner_wire == LENGTH:
                    plugin = buf[c:d].decode("utf-8", "replace")
                elif inner == 2 and inner_wire == LENGTH:
                    content = buf[c:d]
    return plugin, content


def _tensor(buf: bytes, start: int, end: int, base: int) -> tuple[str, float | None, int | None, str | None]:
    """("tensor", number, offset, format) for a rank-0 numeric tensor; ("text"/"other", None, ...) otherwise."""
    dtype = 0
    rank0 = True
    content: tuple[int, int] | None = None
    fixed: tuple[int, int, str] | None = None  # (start, end, format) of float_val / double_val
    ints: list[int] = []
    for field, wire, a, b in fields(buf, start, end):
        if field == 1 and wire == VARINT:
            dtype = a
        elif field == 2 and wire == LENGTH:
            rank0 = not any(f == 2 for f, _w, _a, _b in fields(buf, a, b))  # TensorShapeProto.dim
        elif field == 4 and wire == LENGTH:
            content = (a, b)
        elif field == 5:
            fixed = (a, b, "<f4")
        elif field == 6:
            fixed = (a, b, "<f8")
        elif field in (7, 10, 11, 13, 16, 17):  # int_val, int64_val, bool_val, half_val, uint32_val, uint64_val
            ints.extend(packed_varints(buf, a, b) if wire == LENGTH else [a])
        elif field in (8, 9, 12, 14, 15):  # string, complex, resource and variant values
            dtype = dtype or DT_STRING
    if dtype == DT_STRING:
        return "text", None, None, None
    if not rank0:
        return "other", None, None, None
    if content is not None:
        fmt = CONTENT_FORMATS.get(dtype)
        if fmt is None or content[1] - content[0] != _ITEMSIZE[fmt]:
            return "other", None, None, None
        return "tensor", _number(buf[content[0] : content[1]], fmt), content[0] - base, fmt
    if fixed is not None:
        a, b, fmt = fixed
        size = _ITEMSIZE[fmt]
        if b - a != size:  # several values for a scalar is not a scalar we understand
            return "other", None, None, None
        return "tensor", _number(buf[a:b], fmt), a - base, fmt
    if ints:
        return "tensor", _from_int(ints[-1], dtype), None, None
    return ("tensor", 0.0, None, None) if dtype in CONTENT_FORMATS else ("other", None, None, None)


def _number(raw: bytes, fmt: str) -> float:
    if fmt == "bf16":
        return float(struct.unpack("<f", b"\x00\x00" + raw)[0])
    if fmt == "<f2":
        return float(struct.unpack("<e", raw)[0])
    code = {
        "<f4": "<f",
        "<f8": "<d",
        "<i4": "<i",
        "u1": "<B",
        "<i2": "<h",
        "i1": "<b",
        "<i8": "<q",
        "<u2": "<H",
        "<u4": "<I",
        "<u8": "<Q",
    }[fmt]
    return float(struct.unpack(code, raw)[0])


def _from_int(value: int, dtype: int) -> float:
    if dtype == DT_HALF:
        return float(struct.unpack("<e", (value & 0xFFFF).to_bytes(2, "little"))[0])
    if dtype == DT_BFLOAT16:
        return float(struct.unpack("<f", ((value & 0xFFFF) << 16).to_bytes(4, "little"))[0])
    if dtype in (17, 22, 23, 4):  # unsigned
        return float(value)
    return float(signed64(value))
