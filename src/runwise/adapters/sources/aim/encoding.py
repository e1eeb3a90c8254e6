"""Aim's storage encoding, decoded without importing `aim` (whose import alone takes 1–2 s).

Facts taken from aim 3.x `aim/storage/encoding`: a key is a path of parts, each followed by the
sentinel byte 0xFE; a string part is its UTF-8 bytes, an integer part is the sentinel, 8 big-endian
bytes and the sentinel again. A value is one type byte and its payload: 0 None, 1 bool, 2 int64
(little-endian), 3 float64, 4 UTF-8 string, 5 bytes, 6 "an array follows", 7 "an object follows",
15 "a custom object follows" (its type name as payload).
"""

from __future__ import annotations

import struct
from typing import Any

SENTINEL = 0xFE
SEP = b"\xfe"

NONE, BOOL, INT, FLOAT, STRING, BYTES, ARRAY, OBJECT, CUSTOM = 0, 1, 2, 3, 4, 5, 6, 7, 15

_INT64_BE = struct.Struct(">q")
_INT64_LE = struct.Struct("<q")
_FLOAT64_LE = struct.Struct("<d")


class Container:
    """Marker for a value that announces nested keys (an array, object or custom object)."""

    __slots__ = ("kind", "type_name")

    def __init__(self, kind: int, type_name: str | None = None) -> None:
        self.kind = kind
        self.type_name = type_name


def decode_path(key: bytes) -> list[str | int]:
    """The parts of an encoded key; integer parts may hold any byte, the sentinel included."""
    parts: list[str | int] = []
    cursor, end = 0, len(key)
    while cursor < end:
        if key[cursor] == SENTINEL:
            parts.append(_INT64_BE.unpack_from(key, cursor + 1)[0])
            cursor += 10  # sentinel, 8 bytes, sentinel
            continue
        stop = key.index(SEP, cursor)
        parts.append(key[cursor:stop].decode("utf-8", "replace"))
        cursor = stop + 1
    return parts


def encode_path(*parts: str | int) -> bytes:
    """The encoded key prefix of a path (the inverse of `decode_path`)."""
    out = bytearray()
    for part in parts:
        if isinstance(part, int):
            out += SEP + _INT64_BE.pack(part) + SEP
        else:
            out += part.encode("utf-8") + SEP
    return bytes(out)


def decode_value(buffer: bytes) -> Any:
    """A decoded scalar, a Container marker, or None for an empty or unknown value."""
    if not buffer:
        return None
    kind, body = buffer[0], buffer[1:]
    if kind == FLOAT and len(body) == 8:
        return _FLOAT64_LE.unpack(body)[0]
    if kind == INT and len(body) == 8:
        return _INT64_LE.unpack(body)[0]
    if kind == STRING:
        return body.decode("utf-8", "replace")
    if kind == BOOL:
        return bool(body[:1] != b"\x00")
    if kind in (ARRAY, OBJECT):
        return Container(kind)
    if kind == CUSTOM:
        return Container(kind, body.decode("utf-8", "replace"))
    if kind == BYTES:
        return bytes(body)
    return None


def build_tree(items: list[tuple[list[str | int], Any]]) -> dict[str, Any]:
    """Nested dicts and lists from (path, value) pairs in key order, as Aim's tree views rebuild them."""
    root: dict[Any, Any] = {}
    arrays: list[tuple[dict[Any, Any], Any]] = []
    for path, value in items:
        node = root
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        if not path:
            continue
        last = path[-1]
        if isinstance(value, Container):
            existing = node.get(last)
            if not isinstance(existing, dict):
                node[last] = {}
            if value.kind == ARRAY:
                arrays.append((node, last))
        else:
            node[last] = value
    for parent, key in reversed(arrays):  # innermost first, so nested arrays become lists before their parents
        mapping = parent.get(key)
        if isinstance(mapping, dict) and all(isinstance(k, int) for k in mapping):
            parent[key] = [mapping[k] for k in sorted(mapping)]
    return root
