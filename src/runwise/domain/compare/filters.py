"""Key filters for comparisons: a substring or a glob, case-insensitive, several separated by commas."""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

_GLOB = frozenset("*?[")


def parse_filter(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """`"val,train/*"` or `["val", "train/*"]` → `("val", "train/*")`; empty parts dropped."""
    if spec is None:
        return ()
    parts = spec.split(",") if isinstance(spec, str) else [p for item in spec for p in item.split(",")]
    return tuple(p.strip() for p in parts if p.strip())


def key_matches(key: str, patterns: Sequence[str]) -> bool:
    """True when no patterns are given or any matches: a glob matches the whole key, else a substring."""
    if not patterns:
        return True
    lowered = key.lower()
    for pattern in patterns:
        p = pattern.lower()
        if _GLOB & set(p):
            if fnmatchcase(lowered, p):
                return True
        elif p in lowered:
            return True
    return False
