"""The MCP tool table in docs/mcp.md, written from the declarations (a test keeps the two equal).

python -m runwise.entrypoints.capabilities.docs    # prints the table
"""

from __future__ import annotations

from pydantic.fields import FieldInfo

from runwise.entrypoints.capabilities import TOOLS, Capability
from runwise.entrypoints.capabilities.declaration import literal_values

BOUND_WORDS = (("ge", "≥"), ("le", "≤"), ("min_length", "≥"), ("max_length", "≤"))


def tools_table() -> str:
    """One markdown row per tool: parameters with defaults and bounds, result model, default text budget."""
    rows = ["| Tool | Parameters (defaults, bounds) | Returns | Text budget |", "|---|---|---|---|"]
    rows += [_row(c) for c in TOOLS]
    return "\n".join(rows)


def _row(capability: Capability) -> str:
    params = ", ".join(_param(name, field) for name, field in capability.params.model_fields.items())
    budget = capability.budget if capability.budget is not None else _default(capability, "token_budget")
    return f"| `{capability.tool_name}` | {params} | `{capability.output.__name__}` | {budget or 'whole answer'} |"


def _param(name: str, field: FieldInfo) -> str:
    notes = []
    if field.is_required():
        notes.append("required")
    elif field.default is not None:
        notes.append(f'"{field.default}"' if isinstance(field.default, str) else str(field.default).lower())
    choices = literal_values(field.annotation)
    if choices:
        notes.append("/".join(str(c) for c in choices))
    for meta in field.metadata:
        for attr, word in BOUND_WORDS:
            value = getattr(meta, attr, None)
            if value is not None and not (attr == "min_length" and value == 1):
                notes.append(f"{word}{value:,}" if isinstance(value, int) else f"{word}{value}")
    return f"`{name}` ({', '.join(notes)})" if notes else f"`{name}`"


def _default(capability: Capability, name: str) -> object:
    field = capability.params.model_fields.get(name)
    return None if field is None else field.default


if __name__ == "__main__":
    print(tools_table())
