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

from runwise.adapters.protobuf_tables import message_classes

_PACKAGE = "runwise_neptune_min"

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
    # every row joined into one message: Step and Timestamp payloads read as packed varints (scale_columns.py)
    "UpdateRunSnapshotColumns": [
        ("step", 1, "uint64", True),
        ("timestamp", 2, "uint64", True),
        ("assign", 4, "Entry", True),
        ("modify_sets", 5, "ModifySetsEntry", True),
        ("append", 8, "bytes", True),
    ],
    "Run": [
        ("run_id", 1, "string", False),
        ("creation_time", 3, "Timestamp", False),
        ("family", 4, "string", False),
        ("experiment_id", 5, "string", False),
    ],
}


@cache
def _classes() -> dict[str, Any]:
    return message_classes(_PACKAGE, "proto2", _MESSAGES)


def message(name: str) -> Any:
    """The class of one of the messages above."""
    return _classes()[name]
