"""The flat `meta.yaml` files of MLflow's file store, read without a YAML library.

MLflow writes them with `yaml.safe_dump` of a flat mapping: one `key: scalar` per line, where a
long plain or quoted scalar continues on indented lines (folded with a space), strings that could
be mistaken for other types are single-quoted (`'0'`, `''`) and others double-quoted with escapes.
Nested values (`tags: []`) are kept as their text. This is all that format needs; PyYAML would
be one more core dependency for the same result.
"""

from __future__ import annotations

import json

_NULLS = {"null", "~", ""}


def parse_meta(text: str) -> dict[str, str | None]:
    """Each top-level key with its scalar as text (None for null)."""
    out: dict[str, str | None] = {}
    key: str | None = None
    raw: list[str] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and key is not None:
            raw.append(line.strip())
            continue
        if key is not None:
            out[key] = _scalar(raw)
        key, sep, rest = line.partition(":")
        if not sep or not key or key.startswith("#"):
            key = None
            continue
        key = key.strip()
        raw = [rest.strip()]
    if key is not None:
        out[key] = _scalar(raw)
    return out


def _scalar(parts: list[str]) -> str | None:
    text = " ".join(p for p in parts if p) if len(parts) > 1 else parts[0]
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        try:
            value = json.loads(text)
        except ValueError:
            return text[1:-1]
        return value if isinstance(value, str) else text[1:-1]
    return None if text in _NULLS else text
