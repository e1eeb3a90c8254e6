"""Minimal protobuf messages for the parts of W&B's `wandb_internal.proto` that Runwise reads.

Built at run time from a FileDescriptorProto so that reading a `.wandb` file never imports the
`wandb` package (1–2 s on its own). Field numbers are W&B's; fields we never read are left out and
protobuf keeps them as unknown fields. The bulk of a file (history and summary records) is decoded
by the vectorised reader in `wire.py`; these classes serve the few remaining records and the
unusual items that the fast path hands over.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from runwise.adapters.protobuf_tables import message_classes

_PACKAGE = "runwise_wandb_min"

# message name -> [(field name, number, type or message name, repeated)]
_MESSAGES: dict[str, list[tuple[str, int, str, bool]]] = {
    "Timestamp": [("seconds", 1, "int64", False), ("nanos", 2, "int32", False)],
    "Item": [  # HistoryItem, SummaryItem and ConfigItem share these numbers
        ("key", 1, "string", False),
        ("nested_key", 2, "string", True),
        ("boolean", 4, "bool", False),
        ("integer", 5, "sint64", False),
        ("number", 6, "double", False),
        ("value_json", 16, "string", False),
    ],
    "HistoryStep": [("num", 1, "int64", False)],
    "HistoryRecord": [("item", 1, "Item", True), ("step", 2, "HistoryStep", False)],
    "ItemsRecord": [("update", 1, "Item", True), ("remove", 2, "Item", True)],  # SummaryRecord, ConfigRecord
    "GitRepoRecord": [("remote_url", 1, "string", False), ("commit", 2, "string", False)],
    "RunRecord": [
        ("run_id", 1, "string", False),
        ("entity", 2, "string", False),
        ("project", 3, "string", False),
        ("config", 4, "ItemsRecord", False),
        ("summary", 5, "ItemsRecord", False),
        ("run_group", 6, "string", False),
        ("job_type", 7, "string", False),
        ("display_name", 8, "string", False),
        ("notes", 9, "string", False),
        ("tags", 10, "string", True),
        ("sweep_id", 12, "string", False),
        ("host", 13, "string", False),
        ("starting_step", 14, "int64", False),
        ("start_time", 17, "Timestamp", False),
        ("resumed", 18, "bool", False),
        ("runtime", 20, "int32", False),
        ("git", 21, "GitRepoRecord", False),
    ],
    "RunExitRecord": [("exit_code", 1, "int32", False), ("runtime", 2, "int32", False)],
    "OutputRecord": [
        ("output_type", 1, "int32", False),
        ("timestamp", 2, "Timestamp", False),
        ("line", 3, "string", False),
    ],
    "EnvironmentRecord": [
        ("os", 1, "string", False),
        ("python", 2, "string", False),
        ("started_at", 3, "Timestamp", False),
        ("program", 6, "string", False),
        ("git", 9, "GitRepoRecord", False),
        ("host", 12, "string", False),
        ("gpu_type", 18, "string", False),
        ("gpu_count", 19, "uint32", False),
    ],
    "Record": [
        ("num", 1, "int64", False),
        ("history", 2, "HistoryRecord", False),
        ("summary", 3, "ItemsRecord", False),
        ("output", 4, "OutputRecord", False),
        ("config", 5, "ItemsRecord", False),
        ("output_raw", 13, "OutputRecord", False),
        ("run", 17, "RunRecord", False),
        ("exit", 18, "RunExitRecord", False),
        ("environment", 26, "EnvironmentRecord", False),
    ],
}


@cache
def _classes() -> dict[str, Any]:
    return message_classes(_PACKAGE, "proto3", _MESSAGES)


def message(name: str) -> Any:
    """The generated class for one of the messages above, e.g. `message("Record")`."""
    return _classes()[name]


def parse(name: str, payload: bytes) -> Any:
    """Decode `payload` as message `name`; raises google.protobuf.message.DecodeError when malformed."""
    out = message(name)()
    out.ParseFromString(payload)
    return out


def item_key(item: Any) -> str:
    """The flat key of a history, summary or config item: nested keys joined with `/`."""
    return "/".join(item.nested_key) if len(item.nested_key) else str(item.key)
