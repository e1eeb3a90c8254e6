"""What a query needs before it runs: which metrics, whether config or series must be loaded at all."""

from __future__ import annotations

import re

from runwise.domain.query.errors import QueryError
from runwise.domain.query.nodes import ConfigRef, Const, Field, MetricRef, Node, Query, Value, walk
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
        return (
            f"{node.value}%" if node.percent else repr(node.value) if isinstance(node.value, str) else str(node.value)
        )
    raise TypeError(type(node).__name__)  # pragma: no cover


def validate(query: Query, schema: MetricSchema = DEFAULT_SCHEMA) -> None:
    """Checks that need the schema: `best(k)` only for a metric with a direction. Raises QueryError."""
    for node in _nodes(query):
        if isinstance(node, MetricRef) and node.stat == "best" and schema.direction(node.key) is None:
            raise QueryError(
                f"best({node.key}) needs a metric with a direction (a loss, an accuracy, a reward...)",
                query.text,
                node.pos,
                "use min(...) or max(...), or mark the key higher/lower-is-better in the metric schema",
            )
