"""Config flattening and diffing: nested keys joined with '.', only values that differ are listed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from runwise.domain.shared_repr import fields_repr

# Keys that trackers add to every config and that always differ between runs (noise in a diff).
TRACKER_KEYS = frozenset({"_wandb"})


def flatten_config(
    config: Mapping[str, Any], *, prefix: str = "", skip: frozenset[str] = TRACKER_KEYS
) -> dict[str, Any]:
    """`{"optimizer": {"lr": 0.1}}` → `{"optimizer.lr": 0.1}`; W&B's `{"value": x, "desc": ...}` is unwrapped."""
    flat: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any]]] = [(prefix, config)]
    while stack:  # iterative: configs from files can be nested arbitrarily deep
        base, mapping = stack.pop()
        for raw_key, raw_value in mapping.items():
            key = str(raw_key)
            if not base and key in skip:
                continue
            full = f"{base}.{key}" if base else key
            value = _unwrap(raw_value)
            if isinstance(value, Mapping) and value:
                stack.append((full, value))
            else:
                flat[full] = normalise_config_value(value)
    return dict(sorted(flat.items()))


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "desc"}:
        return value["value"]
    return value


def normalise_config_value(value: Any) -> Any:
    """Hashable plain values: numpy scalars unwrapped, lists and arrays as tuples, empty mappings as {}."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return tuple(normalise_config_value(v) for v in value.tolist())
    if isinstance(value, (list, tuple)):
        return tuple(normalise_config_value(v) for v in value)
    if isinstance(value, Mapping):
        return ()  # only empty mappings reach here
    return value


def config_equal(a: Any, b: Any) -> bool:
    """Equality that keeps kinds apart (True is not 1) and treats NaN as equal to NaN."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(config_equal(x, y) for x, y in zip(a, b))
    try:
        return bool(type(a) is type(b) or _both_numbers(a, b)) and bool(a == b)
    except (TypeError, ValueError):
        return False


def _both_numbers(a: Any, b: Any) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float))


@attrs.frozen
class ConfigDiffEntry:
    """One config key whose value differs; `present[i]` is False when run i does not set it."""

    __repr__ = fields_repr

    key: str
    values: tuple[Any, ...]
    present: tuple[bool, ...]


@attrs.frozen
class ConfigDiff:
    """The config values that differ between runs (in the comparison's run order)."""

    __repr__ = fields_repr

    entries: tuple[ConfigDiffEntry, ...]
    same: int  # keys set to the same value in every run (not listed)

    def __len__(self) -> int:
        return len(self.entries)


def diff_configs(configs: Sequence[Mapping[str, Any]]) -> ConfigDiff:
    """Keys whose flattened values differ across the configs, or that some configs lack."""
    flats = [flatten_config(c) for c in configs]
    keys = sorted(set().union(*flats)) if flats else []
    entries, same = [], 0
    for key in keys:
        present = tuple(key in f for f in flats)
        values = tuple(f.get(key) for f in flats)
        first = values[0]
        if all(present) and all(config_equal(first, v) for v in values[1:]):
            same += 1
            continue
        entries.append(ConfigDiffEntry(key, values, present))
    return ConfigDiff(tuple(entries), same)
