"""Lean JSON schemas for the tool list: the same constraints in fewer tokens.

Clients load `tools/list` into every conversation, so each token there is paid many times. pydantic's
schemas carry a `title` on every property and spell `X | None` as `anyOf: [{type: X}, {type: null}]`;
here titles and `default: null` go and nullable scalar unions fold into one `type: [X, "null"]`.
In input schemas, constraints, defaults, enums, descriptions and `$defs` stay.
"""

from __future__ import annotations

from typing import Any


def lean(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without titles, with scalar unions folded into a list of types."""
    out = _lean(schema)
    assert isinstance(out, dict)
    return out


def lean_output(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema leaner still: it names every field and its nesting (objects, arrays), no more.

    A structured result always carries every field, so `required` and `default` say nothing a client
    needs; a scalar's type shows in its value (numbers that are not finite travel as "NaN"/"Infinity"
    strings), so scalar types, enums and field descriptions stay in the pydantic models
    (entrypoints/structured/) and the tool's text; a definition used once is written where it is used.
    This keeps `tools/list`, which clients load into every conversation, to a few thousand tokens.
    """
    out = _strip(_inline_single_use(lean(schema)), root=True)
    assert isinstance(out, dict)
    return out


def _inline_single_use(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.get("$defs")
    if not defs:
        return schema
    text = repr(schema)
    once = {name for name in defs if text.count(f"'#/$defs/{name}'") == 1}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in once and len(node) == 1:
            return walk(defs[ref.removeprefix("#/$defs/")])
        return {k: walk(v) for k, v in node.items()}

    out = walk({k: v for k, v in schema.items() if k != "$defs"})
    kept = {name: walk(d) for name, d in defs.items() if name not in once}
    if kept:
        out["$defs"] = kept
    return out  # type: ignore[no-any-return]


def _strip(node: Any, root: bool = False) -> Any:
    if isinstance(node, list):
        return [_strip(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("required", "default") and not isinstance(value, dict):
            continue
        if key == "description":
            continue
        if key == "enum" and not root:  # the values speak for themselves in an answer; inputs keep theirs
            continue
        if key == "type" and not root:  # nesting shows in properties/items; a scalar's type in its value
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _strip(sub) for name, sub in value.items()}
        else:
            out[key] = _strip(value)
    return out


def _lean(node: Any) -> Any:
    if isinstance(node, list):
        return [_lean(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _lean(v) for k, v in node.items() if k != "title" and not (k == "default" and v is None)}
    if "properties" in node:  # property names are data, not keywords: keep one titled "title"
        out["properties"] = {name: _lean(sub) for name, sub in node["properties"].items()}
    variants = out.get("anyOf")
    if isinstance(variants, list) and all(_bare_type(v) for v in variants):
        types: list[Any] = []
        merged: dict[str, Any] = {}
        for v in variants:
            types.append(v["type"])
            merged.update({k: val for k, val in v.items() if k != "type"})
        if "enum" in merged and "null" in types:
            merged["enum"] = [*merged["enum"], None]  # the folded type admits null: so must the enum
        if not any(k in out for k in merged) and "const" not in merged:
            del out["anyOf"]
            out = {"type": types if len(types) > 1 else types[0], **merged, **out}
    return out


def _bare_type(variant: Any) -> bool:
    """A variant that is only a scalar type, possibly with constraints that apply to that type alone."""
    return (
        isinstance(variant, dict)
        and isinstance(variant.get("type"), str)
        and variant["type"] != "array"
        and (variant["type"] != "object")
        and "$ref" not in variant
    )
