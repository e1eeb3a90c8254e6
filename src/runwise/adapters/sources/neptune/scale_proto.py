"""The few neptune-scale protobuf messages Runwise reads, built at run time from their field numbers.

Facts from `neptune_api` (neptune-scale 0.30's ingest protocol, `neptune.ingest.v1`): a row of
`run_operations.sqlite3` holds an `UpdateRunSnapshot` (operation_type 0: step, timestamp, `assign`
and `append` maps of attribute path → Value, `modify_sets` for tags) or a `Run` (operation_type 1:
CreateRun, with creation time, family and experiment). Declared here as proto2 (every field knows
whether it was set) with maps as their wire-equal repeated key/value entries, and decoded by the
`protobuf` runtime Runwise already depends on: neither `neptune_scale` nor `neptune_api` is
imported (they pin their own protobuf range and load a generated module tree), and fields Runwise
does not read (files, histograms, previews) stay unknown fields.
"""

from __future__ import annotations

from functools import cache
from typing import Any

_PACKAGE = "runwise_neptune_min"
_SCALARS = ("double", "int64", "uint64", "int32", "bool", "string", "bytes")

_MESSAGES: dict[str, list[tuple[str, int, str, bool]]] = {
    "Timestamp": [("seconds", 1, "int64", False), ("nanos", 2, "int32", False)],
    "Step": [("whole", 1, "uint64", False), ("micro", 2, "uint64", False)],
    "StringSet": [("values", 1, "string", True)],
    "Value": [
        ("float64", 1, "double", False),
        ("int64", 3, "int64", False),
        ("bool", 5, "bool", False),
        ("string", 6, "string", False),
        ("timestamp", 8, "Timestamp", False),
        ("string_set", 12, "StringSet", False),
    ],
    "Entry": [("key", 1, "string", False), ("value", 2, "Value", False)],
    "SetChange": [("key", 1, "string", False), ("value", 2, "int32", False)],  # SET_OPERATION: 1 add, 2 remove
    "ModifyStringSet": [("values", 1, "SetChange", True)],
    "ModifySet": [("string", 1, "ModifyStringSet", False)],
    "ModifySetsEntry": [("key", 1, "string", False), ("value", 2, "ModifySet", False)],
    "UpdateRunSnapshot": [
        ("step", 1, "Step", False),
        ("timestamp", 2, "Timestamp", False),
        ("assign", 4, "Entry", True),
        ("modify_sets", 5, "ModifySetsEntry", True),
        ("append", 8, "Entry", True),
    ],
    "UpdateRunSnapshots": [("snapshots", 1, "UpdateRunSnapshot", True)],
    # the same messages with `append` entries left as their bytes, decoded in bulk by scale_points.py
    "UpdateRunSnapshotRaw": [
        ("step", 1, "Step", False),
        ("timestamp", 2, "Timestamp", False),
        ("assign", 4, "Entry", True),
        ("modify_sets", 5, "ModifySetsEntry", True),
        ("append", 8, "bytes", True),
    ],
    "UpdateRunSnapshotsRaw": [("snapshots", 1, "UpdateRunSnapshotRaw", True)],
    "Run": [
        ("run_id", 1, "string", False),
        ("creation_time", 3, "Timestamp", False),
        ("family", 4, "string", False),
        ("experiment_id", 5, "string", False),
    ],
}


@cache
def _classes() -> dict[str, Any]:
    """Built on first use: the protobuf runtime costs ~30 ms to import, which every other source's CLI call
    would pay (`python -X importtime`)."""
    from google.protobuf import (  # type: ignore[import-untyped,unused-ignore]
        descriptor_pb2,
        descriptor_pool,
        message_factory,
    )

    f = descriptor_pb2.FieldDescriptorProto
    types = {name: getattr(f, f"TYPE_{name.upper()}") for name in _SCALARS}
    file_proto = descriptor_pb2.FileDescriptorProto(name=f"{_PACKAGE}.proto", package=_PACKAGE, syntax="proto2")
    for name, fields in _MESSAGES.items():
        message = file_proto.message_type.add(name=name)
        for field_name, number, kind, repeated in fields:
            field = message.field.add(name=field_name, number=number)
            field.label = f.LABEL_REPEATED if repeated else f.LABEL_OPTIONAL
            if kind in types:  # scalars (bytes included); anything else names a message above
                field.type = types[kind]
            else:
                field.type = f.TYPE_MESSAGE
                field.type_name = f".{_PACKAGE}.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}")) for name in _MESSAGES
    }


def message(name: str) -> Any:
    """The class of one of the messages above."""
    return _classes()[name]
