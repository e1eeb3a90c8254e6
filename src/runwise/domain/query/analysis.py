"""What a query needs before it runs: which metrics, whether config or series must be loaded at all."""

from __future__ import annotations

import re

from runwise.domain.query.errors import QueryError
from runwise.domain.query.evaluate import parse_number
from runwise.domain.query.nodes import (
    NUMERIC_FIELDS,
    Compare,
    ConfigRef,
    Const,
    ConstList,
    Field,
    MetricRef,
    Node,
    Query,
    Value,
    walk,
)
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")


def _nodes(query: Query | Node) -> list[Node]:
    return walk(query.root if isinstance(query, Query) else query)


def needed_metrics(query: Query | Node) -> frozenset[str]:
    """Metric keys the query reads (so a source can load just those series)."""
    return frozenset(n.key for n in _nodes(query) if isinstance(n, MetricRef))


def needed_config(query: Query | Node) -> frozenset[str]:
    """Config keys the query reads, dotted."""
    return frozenset(n.key for n in _nodes(query) if isinstance(n, ConfigRef))


def needs_series(query: Query | Node) -> bool:
    """True when any metric is read: the run's series must be loaded."""
    return any(isinstance(n, MetricRef) for n in _nodes(query))


def needs_config(query: Query | Node) -> bool:
    """True when any config value is read."""
    return any(isinstance(n, ConfigRef) for n in _nodes(query))


def needs_run(query: Query | Node) -> bool:
    """True when RunInfo alone cannot answer (config or metrics are read)."""
    return any(isinstance(n, (MetricRef, ConfigRef)) for n in _nodes(query))


def referenced_values(query: Query | Node) -> tuple[Value, ...]:
    """Fields, config values and metric statistics the query reads, once each, in order of appearance."""
    seen: dict[str, Value] = {}
    for node in _nodes(query):
        if isinstance(node, (Field, ConfigRef, MetricRef)):
            seen.setdefault(value_text(node), node)
    return tuple(seen.values())


def value_text(node: Value) -> str:
    """Canonical text of an operand: `val/acc`, `best(val/loss)`, `config.lr`, `steps`, `80%`."""
    if isinstance(node, Field):
        return node.name
    if isinstance(node, ConfigRef):
        return f"config.{node.key}"
    if isinstance(node, MetricRef):
        key = node.key if _BARE_KEY.match(node.key) and "`" not in node.key else f"`{node.key}`"
        return key if node.stat == "last" else f"{node.stat}({key})"
    if isinstance(node, Const):
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        return (
            f"{node.value}%" if node.percent else repr(node.value) if isinstance(node.value, str) else str(node.value)
        )
    raise TypeError(type(node).__name__)  # pragma: no cover


def validate(query: Query, schema: MetricSchema = DEFAULT_SCHEMA) -> None:
    """Checks beyond the grammar. Raises QueryError at the offending operand.

    `best(k)` needs a metric with a direction; a number (a metric, `steps`, `runtime`) compared with text that
    is not a number, or with true/false, could never match: that is a mistake to report, not zero matches.
    """
    for node in _nodes(query):
        if isinstance(node, MetricRef) and node.stat == "best" and schema.direction(node.key) is None:
            raise QueryError(
                f"best({node.key}) needs a metric with a direction (a loss, an accuracy, a reward...)",
                query.text,
                node.pos,
                "use min(...) or max(...), or mark the key higher/lower-is-better in the metric schema",
            )
        if isinstance(node, Compare):
            _check_types(node, query.text)


def percent_suspects(query: Query | Node) -> tuple[tuple[MetricRef, Const], ...]:
    """Metric statistics compared with a plain number above 1 and at most 100 (`val/acc > 80`): against a
    fraction such a number is surely a percent written without its '%'. Whether the metric is a fraction is
    for the caller to say, from the runs."""
    out: list[tuple[MetricRef, Const]] = []
    for node in _nodes(query):
        if not isinstance(node, Compare) or node.op == "contains":
            continue
        others = node.right.items if isinstance(node.right, ConstList) else (node.right,)
        pairs = [(node.left, o) for o in others] + [(node.right, node.left)]
        for metric, const in pairs:
            if (
                isinstance(metric, MetricRef)
                and isinstance(const, Const)
                and not const.percent
                and not isinstance(const.value, (bool, str))
                and 1.0 < abs(float(const.value)) <= 100.0
            ):
                out.append((metric, const))
    return tuple(out)


def is_numeric(node: Value) -> bool:
    """Operands that are always numbers: metric statistics and the `steps` and `runtime` fields."""
    return isinstance(node, MetricRef) or (isinstance(node, Field) and node.name in NUMERIC_FIELDS)


def _check_types(node: Compare, text: str) -> None:
    sides = [(node.left, node.right), (node.right, node.left)] if isinstance(node.right, Value) else []
    if isinstance(node.right, ConstList):
        sides = [(node.left, item) for item in node.right.items]
    for number, other in sides:
        if not (is_numeric(number) and isinstance(other, Const)):
            continue
        if node.op == "contains" and number is node.left:
            raise QueryError(
                f"{value_text(number)} is a number: 'contains' needs text, tags or a list",
                text,
                node.pos,
                "compare it with ==, <, > instead",
            )
        value = other.value
        if isinstance(value, bool) or (isinstance(value, str) and parse_number(value) is None):
            raise QueryError(
                f"{value_text(number)} is a number and cannot be compared with {value_text(other)}",
                text,
                other.pos,
                "compare with a number" + (", or a percent such as 80%" if isinstance(number, MetricRef) else ""),
            )
