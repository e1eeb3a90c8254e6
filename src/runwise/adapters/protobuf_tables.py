"""Protobuf message classes built at run time from a table of fields, for readers that decode a vendor's records
without importing the vendor's package (or its generated module tree).

The descriptor machinery is imported only when a table is first built (~15–30 ms), so a call that never meets
such a record never pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# FieldDescriptorProto numbers (descriptor.proto)
_SCALARS = {
    "double": 1, "int64": 3, "uint64": 4, "int32": 5, "bool": 8, "string": 9, "bytes": 12, "uint32": 13, "sint64": 18,
}  # fmt: skip
_LABEL_OPTIONAL, _LABEL_REPEATED, _TYPE_MESSAGE = 1, 3, 11

Fields = Sequence[tuple[str, int, str, bool]]  # (field name, number, scalar type or message name, repeated)


def message_classes(package: str, syntax: str, messages: Mapping[str, Fields]) -> dict[str, Any]:
    """One class per message of `messages`; a field whose type is not a scalar names another message there."""
    from google.protobuf import (  # type: ignore[import-untyped,unused-ignore]
        descriptor_pb2,
        descriptor_pool,
        message_factory,
    )

    file_proto = descriptor_pb2.FileDescriptorProto(name=f"{package}.proto", package=package, syntax=syntax)
    for name, fields in messages.items():
        message = file_proto.message_type.add(name=name)
        for field_name, number, kind, repeated in fields:
            field = message.field.add(name=field_name, number=number)
            field.label = _LABEL_REPEATED if repeated else _LABEL_OPTIONAL
            if kind in _SCALARS:
                field.type = _SCALARS[kind]
            else:
                field.type = _TYPE_MESSAGE
                field.type_name = f".{package}.{kind}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{name}")) for name in messages}
