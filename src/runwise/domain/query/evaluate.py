"""Evaluating a query against one row: two-valued logic where anything missing makes a comparison false.

Semantics (documented for users in `runwise.domain.query`):
- A missing field, config value or metric (or a metric with no finite value) makes every comparison
  with it false, `!=` included; `not (...)` of such a comparison is therefore true. Use `exists(x)`
  to ask for presence explicitly.
- Numbers compare numerically; a string that spells a number compares as that number (MLflow params
  and argparse configs are strings). Strings compare lexicographically. Booleans only equal booleans
  (a string "true"/"false" counts). Values of different kinds are never equal (`!=` is true).
- NaN never compares: every comparison with it is false.
- `contains`: substring for strings (case-sensitive), membership for lists/tags, key for mappings.
- `80%` is 0.8 when the other side is a fraction (a metric whose finite values all lie in [0, 1], or
  a number in [0, 1]) and 80 otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, Protocol

import numpy as np

from runwise.domain.query.nodes import (
    And,
    Compare,
    Condition,
    ConfigRef,
    Const,
    ConstList,
    Exists,
    Field,
    MetricRef,
    Not,
    Or,
    Query,
    Truthy,
    Value,
)

_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_MAX_NUMERIC_TEXT = 64


class QueryRow(Protocol):
    """What a query can read about one run; implementations load only what is asked for."""

    def field(self, name: str) -> Any:
        """A RunInfo field (name, id, state, steps, tags, project, source, runtime, notes) or None."""
        ...

    def config_value(self, path: tuple[str, ...]) -> Any:
        """A config value (flat dotted key first, then nested), or None when absent."""
        ...

    def metric(self, key: str, stat: str) -> float | None:
        """A statistic (last, first, best, min, max, mean) over the finite values of a metric, or None."""
        ...

    def is_fraction(self, key: str) -> bool | None:
        """Whether the metric's finite values all lie in [0, 1] (or the schema says percent); None if unknown."""
        ...


def evaluate(query: Query | Condition, row: QueryRow) -> bool:
    """True when the row satisfies the query; `and`/`or` short-circuit so unneeded data is never loaded."""
    node = query.root if isinstance(query, Query) else query
    return _eval(node, row)


def evaluate_value(node: Value, row: QueryRow) -> Any:
    """The normalised value of one operand for this row (None when missing); used for display and sorting."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Field):
        return _normalise(row.field(node.name))
    if isinstance(node, ConfigRef):
        return _normalise(row.config_value(node.path))
    return _normalise(row.metric(node.key, node.stat))


def _eval(node: Condition, row: QueryRow) -> bool:
    if isinstance(node, And):
        return all(_eval(child, row) for child in node.operands)
    if isinstance(node, Or):
        return any(_eval(child, row) for child in node.operands)
    if isinstance(node, Not):
        return not _eval(node.operand, row)
    if isinstance(node, Compare):
        return _eval_compare(node, row)
    if isinstance(node, Exists):
        return _present(evaluate_value(node.target, row))
    if isinstance(node, Truthy):
        return _truthy(evaluate_value(node.operand, row))
    raise AssertionError(f"unknown node {type(node).__name__}")  # pragma: no cover - the parser builds only these


def _eval_compare(node: Compare, row: QueryRow) -> bool:
    left = evaluate_value(node.left, row)
    if left is None:
        return False
    if isinstance(node.right, ConstList):
        items = [_resolve(item, node.left, left, row) for item in node.right.items]
        return any(compare_values("==", left, item) for item in items)
    right = evaluate_value(node.right, row)
    if right is None:
        return False
    if isinstance(node.right, Const) and node.right.percent:
        if not (isinstance(node.left, Const) and node.left.percent):
            right = _resolve(node.right, node.left, left, row)
    elif isinstance(node.left, Const) and node.left.percent:
        left = _resolve(node.left, node.right, right, row)
    return compare_values(node.op, left, right)


def _resolve(const: Const, other: Value, other_value: Any, row: QueryRow) -> Any:
    """The number a literal stands for next to `other`: `80%` is 0.8 against a fraction, else 80."""
    if not const.percent:
        return const.value
    number = float(const.value)
    if isinstance(other, MetricRef):
        fraction = row.is_fraction(other.key)
    else:
        as_number = _as_number(other_value)
        fraction = None if as_number is None else 0.0 <= as_number <= 1.0
    return number / 100.0 if fraction else number


def compare_values(op: str, left: Any, right: Any) -> bool:
    """Apply one comparison operator with the language's typing rules (see the module docstring)."""
    if op not in _ORDER and op != "contains":
        raise ValueError(f"unknown comparison operator {op!r}")  # a programming error: the parser never builds it
    if left is None or right is None:
        return False
    if op == "contains":
        return _contains(left, right)
    a, b = _coerce(left, right)
    if _is_number(a) and _is_number(b):
        if math.isnan(a) or math.isnan(b):
            return False
        return bool(_ORDER[op](a, b))
    if isinstance(a, str) and isinstance(b, str):
        return bool(_ORDER[op](a, b))
    if op in ("==", "!="):
        same = _same_kind(a, b) and a == b
        return same if op == "==" else not same
    return False


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, str):
        return isinstance(right, str) and right in left
    if isinstance(left, tuple):
        return any(compare_values("==", item, right) for item in left)
    if isinstance(left, Mapping):
        return isinstance(right, str) and right in left
    return False


_ORDER = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _coerce(a: Any, b: Any) -> tuple[Any, Any]:
    """Numeric strings meet numbers as numbers; "true"/"false" meet booleans as booleans."""
    if isinstance(a, str) and _is_number(b):
        parsed = parse_number(a)
        return (parsed, b) if parsed is not None else (a, b)
    if isinstance(b, str) and _is_number(a):
        parsed = parse_number(b)
        return (a, parsed) if parsed is not None else (a, b)
    if isinstance(a, str) and isinstance(b, bool) and a.strip().lower() in ("true", "false"):
        return a.strip().lower() == "true", b
    if isinstance(b, str) and isinstance(a, bool) and b.strip().lower() in ("true", "false"):
        return a, b.strip().lower() == "true"
    return a, b


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return type(a) is type(b) or (_is_number(a) and _is_number(b))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_number(value: Any) -> float | None:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        return parse_number(value)
    return None


def parse_number(text: str) -> float | None:
    """The number a string spells ("0.8", " 1e-3 "), or None: such strings compare as numbers."""
    if len(text) > _MAX_NUMERIC_TEXT or not _NUMERIC.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _normalise(value: Any) -> Any:
    """Plain Python values only: numpy scalars unwrapped, lists to tuples, unknown objects treated as missing."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (bytes, bytearray)):
        return tuple(_normalise(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value))
    return None


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (str, tuple, Mapping)):
        return len(value) > 0
    return not (isinstance(value, float) and math.isnan(value))


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)
