"""Metric keys for Aim traces: a metric name plus a context dict becomes one flat key, never two alike.

Aim identifies a series by (name, context). Users almost always use the context as a split
(`{"subset": "train"}`), so the natural key puts the context's values in front of the name, as
other trackers spell it: `loss` + `{"subset": "train"}` → `train/loss`; an empty context keeps the
bare name; a non-string value keeps its field name (`{"epoch": 3}` → `epoch=3/loss`); several
fields go in field-name order (`{"subset": "val", "head": "a"}` → `a/val/loss`).

Collisions: when two traces of one run would get the same natural key (`{"subset": "train"}` and
`{"phase": "train"}`, or a metric literally named `train/loss` beside `loss` in context train), each
of the colliding traces is spelled out in full instead: `loss{phase=train}`, `loss{subset=train}`
(fields sorted; values other than strings as JSON). Aim's own system metrics `__system__cpu` become `system/cpu`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

SYSTEM_PREFIX = "__system__"


def _name(name: str) -> str:
    return f"system/{name[len(SYSTEM_PREFIX) :]}" if name.startswith(SYSTEM_PREFIX) else name


def natural_key(name: str, context: Mapping[str, Any]) -> str:
    """The key a user expects for a trace: context values, then the metric name."""
    parts = []
    for field in sorted(context):
        value = context[field]
        parts.append(value if isinstance(value, str) and value else f"{field}={_literal(value)}")
    return "/".join([*parts, _name(name)])


def full_key(name: str, context: Mapping[str, Any]) -> str:
    """The unambiguous spelling: name and every context field."""
    if not context:
        return _name(name)
    fields = ",".join(f"{field}={_text(context[field])}" for field in sorted(context))
    return f"{_name(name)}{{{fields}}}"


def assign_keys(traces: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """One distinct key per (name, context) trace, in the order given."""
    natural = [natural_key(name, ctx) for name, ctx in traces]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, key in enumerate(natural):
        groups[key].append(index)
    keys = list(natural)
    for members in groups.values():
        if len(members) > 1:
            for index in members:
                keys[index] = full_key(*traces[index])
    seen: dict[str, int] = {}
    for index, key in enumerate(keys):  # a full spelling that still meets another key: number it
        if key in seen:
            count = seen[key] = seen[key] + 1
            keys[index] = f"{key}#{count}"
        else:
            seen[key] = 1
    return keys


def _literal(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _literal(value)
