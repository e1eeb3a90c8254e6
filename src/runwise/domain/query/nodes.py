"""The query AST: immutable nodes, each remembering where it started so errors and tools can point at it."""

from __future__ import annotations

from typing import Literal as TypingLiteral

import attrs

from runwise.domain.shared_repr import fields_repr

RUN_FIELDS: tuple[str, ...] = ("name", "id", "state", "steps", "tags", "project", "source", "runtime", "notes")
NUMERIC_FIELDS: frozenset[str] = frozenset({"steps", "runtime"})  # always numbers (or missing)
METRIC_STATS: tuple[str, ...] = ("last", "first", "best", "min", "max", "mean")
FUNCTIONS: tuple[str, ...] = (*METRIC_STATS, "exists")

CompareOp = TypingLiteral["==", "!=", "<", "<=", ">", ">=", "contains", "in"]
Scalar = str | int | float | bool


@attrs.frozen
class Const:
    """A literal; `percent` marks `80%`, whose scale (0.8 or 80) is decided against what it is compared with."""

    __repr__ = fields_repr

    value: Scalar
    pos: int
    percent: bool = False


@attrs.frozen
class ConstList:
    """The right side of `in`: a parenthesised list of literals."""

    __repr__ = fields_repr

    items: tuple[Const, ...]
    pos: int


@attrs.frozen
class Field:
    """A run field from RunInfo (cheap: no metrics or config are read)."""

    __repr__ = fields_repr

    name: str
    pos: int


@attrs.frozen
class ConfigRef:
    """`config.a.b`: looked up as the flat key `a.b` first, then as nested mappings."""

    __repr__ = fields_repr

    path: tuple[str, ...]
    pos: int

    @property
    def key(self) -> str:
        return ".".join(self.path)


@attrs.frozen
class MetricRef:
    """A statistic of one metric series; a bare key means `last` (its last finite value)."""

    __repr__ = fields_repr

    key: str
    stat: str
    pos: int


Value = Const | Field | ConfigRef | MetricRef


@attrs.frozen
class Compare:
    """`left op right`; a comparison with a missing operand is false."""

    __repr__ = fields_repr

    op: CompareOp
    left: Value
    right: Value | ConstList
    pos: int  # of the operator


@attrs.frozen
class Exists:
    """`exists(x)`: the run has the field, config value or metric (with a finite value)."""

    __repr__ = fields_repr

    target: Field | ConfigRef | MetricRef
    pos: int


@attrs.frozen
class Truthy:
    """A reference used alone as a condition: true when present and truthy (non-zero, non-empty, true)."""

    __repr__ = fields_repr

    operand: Value
    pos: int


@attrs.frozen
class Not:
    __repr__ = fields_repr

    operand: Condition
    pos: int


@attrs.frozen
class And:
    __repr__ = fields_repr

    operands: tuple[Condition, ...]
    pos: int


@attrs.frozen
class Or:
    __repr__ = fields_repr

    operands: tuple[Condition, ...]
    pos: int


Condition = Compare | Exists | Truthy | Not | And | Or
Node = Condition | Value | ConstList


@attrs.frozen
class Query:
    """A parsed query: the condition tree and the text it came from (for error positions and display)."""

    __repr__ = fields_repr

    root: Condition
    text: str

    def __str__(self) -> str:
        return self.text


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-nodes, for walks that must not recurse on user-controlled depth."""
    if isinstance(node, (And, Or)):
        return node.operands
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, (Exists,)):
        return (node.target,)
    if isinstance(node, Truthy):
        return (node.operand,)
    if isinstance(node, ConstList):
        return node.items
    return ()


def walk(node: Node) -> list[Node]:
    """Every node, pre-order, iteratively."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out
