"""Use case: write a metric schema from a real run's keys (roles, directions, groups by prefix)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from runwise.domain.inspect import prefix_of
from runwise.domain.roles import Role, infer_role
from runwise.services.catalog import Catalog


def schema_from_keys(keys: Iterable[str], thresholds: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Schema fields inferred from key names; a person edits what the heuristics got wrong."""
    roles: dict[str, list[str]] = {}
    groups: dict[str, list[str]] = {}
    for key in sorted(keys):
        role = infer_role(key)
        roles.setdefault(role.value, []).append(key)
        prefix = prefix_of(key).rstrip("/")
        if prefix:
            groups.setdefault(prefix, []).append(key)
    validation = roles.get(Role.VAL_LOSS.value, []) + roles.get(Role.VAL_ACCURACY.value, [])
    return {
        "loss": roles.get(Role.LOSS.value, []) + roles.get(Role.VAL_LOSS.value, []),
        "validation": validation,
        "lower_is_better": roles.get(Role.LOSS.value, []) + roles.get(Role.VAL_LOSS.value, []),
        "higher_is_better": roles.get(Role.ACCURACY.value, []) + roles.get(Role.VAL_ACCURACY.value, []),
        "lr": roles.get(Role.LR.value, []),
        "grad_norm": roles.get(Role.GRAD_NORM.value, []),
        "throughput": roles.get(Role.THROUGHPUT.value, []),
        "groups": {k: [f"{k}/*"] for k, v in groups.items() if len(v) > 1},
        "thresholds": dict(thresholds or {}),
    }


def schema_from_run(
    catalog: Catalog, ref: str, thresholds: Mapping[str, float] | None = None
) -> tuple[str, dict[str, Any]]:
    """The run's name and a schema inferred from its keys."""
    loaded = catalog.load(ref)
    return loaded.run.info.name, schema_from_keys(loaded.run.series, thresholds)


def render_toml(schema: Mapping[str, Any], comment: str) -> str:
    """The schema as a TOML file with a [schema] table (lists and tables of strings and numbers only)."""
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    lines.append("[schema]")
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in schema.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[schema.{name}]")
        lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # JSON string escapes are valid TOML basic strings
