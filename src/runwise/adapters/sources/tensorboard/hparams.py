"""The hparams plugin's run configuration: `HParamsPluginData.session_start_info.hparams`.

PyTorch and tensorboardX (`add_hparams`), Lightning and Keras' `hp.hparams` all write the values as
`map<string, google.protobuf.Value>`; every number is a double there, so whole numbers come back as
int (`batch_size: 64`, not `64.0`).
"""

from __future__ import annotations

import math
import struct
from typing import Any

from runwise.adapters.sources.tensorboard.wire import FIXED64, LENGTH, VARINT, fields


def hparams_config(content: bytes) -> dict[str, Any]:
    """The hyperparameter values of an hparams plugin `session_start_info` (empty for other records)."""
    out: dict[str, Any] = {}
    for field, wire, a, b in fields(content, 0, len(content)):
        if field == 3 and wire == LENGTH:  # HParamsPluginData.session_start_info
            for inner, inner_wire, c, d in fields(content, a, b):
                if inner == 1 and inner_wire == LENGTH:  # map<string, google.protobuf.Value> entry
                    key, value = _map_entry(content, c, d)
                    out[key] = value
    return out


# HParamsPluginData.session_end_info.status (tensorboard/plugins/hparams/api.proto: Status)
_STATUS_STATES = {1: "finished", 2: "crashed", 3: "running"}  # STATUS_SUCCESS, STATUS_FAILURE, STATUS_RUNNING
MAX_NESTING = 32  # struct values nested deeper are dropped (a crafted file must not exhaust the stack)


def hparams_session_state(content: bytes) -> str | None:
    """The run state a `session_end_info` records (finished, crashed, running); None for other records."""
    state = None
    for field, wire, a, b in fields(content, 0, len(content)):
        if field == 4 and wire == LENGTH:  # HParamsPluginData.session_end_info
            for inner, inner_wire, c, _d in fields(content, a, b):
                if inner == 1 and inner_wire == VARINT:  # SessionEndInfo.status
                    state = _STATUS_STATES.get(c)
    return state


def _map_entry(buf: bytes, start: int, end: int, depth: int = 0) -> tuple[str, Any]:
    key = ""
    value: Any = None
    for field, wire, a, b in fields(buf, start, end):
        if field == 1 and wire == LENGTH:
            key = buf[a:b].decode("utf-8", "replace")
        elif field == 2 and wire == LENGTH:
            value = _struct_value(buf, a, b, depth + 1)
    return key, value


def _struct_value(buf: bytes, start: int, end: int, depth: int = 0) -> Any:
    """google.protobuf.Value; whole numbers come back as int (hparams store every number as a double)."""
    value: Any = None
    if depth > MAX_NESTING:
        return None
    for field, wire, a, b in fields(buf, start, end):
        if field == 2 and wire == FIXED64:
            number = struct.unpack_from("<d", buf, a)[0]
            value = int(number) if math.isfinite(number) and number.is_integer() and abs(number) < 2**53 else number
        elif field == 3 and wire == LENGTH:
            value = buf[a:b].decode("utf-8", "replace")
        elif field == 4 and wire == VARINT:
            value = bool(a)
        elif field == 5 and wire == LENGTH:
            value = dict(_map_entry(buf, c, d, depth) for f, w, c, d in fields(buf, a, b) if f == 1 and w == LENGTH)
        elif field == 6 and wire == LENGTH:
            value = [_struct_value(buf, c, d, depth + 1) for f, w, c, d in fields(buf, a, b) if f == 1 and w == LENGTH]
    return value
