"""Use case: query runs with an expression — evaluate a query over every discovered run, loading as little as possible.

RunInfo fields are answered from the listing; a run's config and series are read only when the
query reaches a term that needs them (`and`/`or` short-circuit), through the catalog's cache.
Sources that can filter on their server expose `search_runs(pushdown, *, project=None)`; they get the
pushable part of the query and the full query is still checked locally on what they return.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from runwise.domain.errors import InvalidInput, RunwiseError
from runwise.domain.hints import Param, say
from runwise.domain.model import Run, RunInfo
from runwise.domain.query import (
    Pushdown,
    Query,
    QueryError,
    RunRow,
    Value,
    evaluate,
    evaluate_value,
    needed_metrics,
    parse_query,
    parse_value,
    percent_suspects,
    referenced_values,
    to_pushdown,
    validate,
    value_text,
)
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.shared_repr import fields_repr
from runwise.ports.run_source import RunSource
from runwise.services.catalog import Catalog

MAX_LIMIT = 10_000


@attrs.frozen
class QueryMatch:
    """A matching run and the values the query (and sort key) read for it, to show why it matched."""

    __repr__ = fields_repr

    info: RunInfo
    values: tuple[tuple[str, Any], ...]


@attrs.frozen
class QueryResult:
    """Matches in order (after sort and limit) and what it cost to find them."""

    __repr__ = fields_repr

    query: str
    matches: tuple[QueryMatch, ...]
    matched: int  # before the limit
    scanned: int
    loaded: int  # runs whose config or series had to be read
    sort: str | None = None
    descending: bool = False
    pushdown: Pushdown = attrs.field(factory=Pushdown)
    unknown_metrics: tuple[str, ...] = ()  # keys no loaded run logs: likely typos
    errors: tuple[tuple[str, str], ...] = ()  # (run name, why it could not be read)
    hints: tuple[str, ...] = ()  # likely mistakes in the query, one sentence each ("did you mean 80%?")


@attrs.frozen
class SelectedRun:
    """A run the query selected, with its source and the row (and so any run already loaded)."""

    __repr__ = fields_repr

    source: RunSource = attrs.field(eq=False)
    info: RunInfo
    row: RunRow = attrs.field(eq=False)


class RunLoads:
    """Per-call load bookkeeping: failures become empty runs plus a note, never a failed query."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.errors: list[tuple[str, str]] = []

    def loader(self, source: RunSource, info: RunInfo) -> Callable[[], Run]:
        def load() -> Run:
            try:
                return load_listed(self.catalog, source, info)
            except RunwiseError as exc:
                self.errors.append((info.name, str(exc)))
                return Run(info)

        return load


def load_listed(catalog: Catalog, source: RunSource, info: RunInfo) -> Run:
    """Load a run already listed by the catalog, sharing the cache entry `Catalog.load` would use."""
    return catalog.load_info(source, info)


def candidates(
    catalog: Catalog, pushdown: Pushdown | None = None, *, project: str | None = None
) -> list[tuple[RunSource, RunInfo]]:
    """Runs to consider, newest first; sources with `search_runs` receive the pushdown."""
    searchable = [s for s in catalog.sources if pushdown and callable(getattr(s, "search_runs", None))]
    if not searchable:
        return catalog.list_runs(project=project)
    found: list[tuple[RunSource, RunInfo]] = []
    for src in catalog.sources:
        if src in searchable:
            infos = src.search_runs(pushdown, project=project)  # type: ignore[attr-defined]
            found.extend((src, info) for info in infos if catalog.allowed(info))
        else:
            found.extend(pair for pair in catalog.list_runs(source=src.name, project=project) if pair[0] is src)
    found.sort(key=lambda pair: pair[1].updated_at or pair[1].created_at or 0.0, reverse=True)
    return found


def select_runs(
    catalog: Catalog,
    query: Query | str | None,
    *,
    schema: MetricSchema = DEFAULT_SCHEMA,
    project: str | None = None,
    loads: RunLoads | None = None,
) -> list[SelectedRun]:
    """Runs satisfying the query (all runs when it is None), newest first, rows kept for reuse."""
    loads = loads or RunLoads(catalog)
    parsed = parse_query(query) if isinstance(query, str) else query
    if parsed is not None:
        validate(parsed, schema)
    pushdown = to_pushdown(parsed) if parsed is not None else None
    selected = []
    for source, info in candidates(catalog, pushdown, project=project):
        row = RunRow(info, loads.loader(source, info), schema=schema)
        if parsed is None or evaluate(parsed, row):
            selected.append(SelectedRun(source, info, row))
    return selected


def parse_sort(sort: str) -> tuple[Value, bool]:
    """`val/acc`, `-val/acc`, `best(val/loss) desc`, `config.lr asc` → (operand, descending)."""
    text = sort.strip()
    descending = False
    lowered = text.lower()
    for suffix, desc in ((" desc", True), (" asc", False)):
        if lowered.endswith(suffix):
            text, descending = text[: -len(suffix)].rstrip(), desc
            break
    else:
        if text.startswith(("-", "+")):
            text, descending = text[1:].lstrip(), text[0] == "-"
    try:
        return parse_value(text), descending
    except QueryError as exc:
        raise QueryError(
            say("in ", Param("sort"), ": ", exc.reason), sort, exc.position + (len(sort) - len(sort.lstrip())), exc.hint
        ) from None


def query_runs(
    catalog: Catalog,
    expr: str,
    sort: str | None = None,
    limit: int | None = None,
    *,
    schema: MetricSchema = DEFAULT_SCHEMA,
    project: str | None = None,
) -> QueryResult:
    """Runs matching `expr`, sorted by an operand (missing values last), at most `limit` of them."""
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    query = parse_query(expr)
    validate(query, schema)
    sort_node, descending = parse_sort(sort) if sort else (None, False)
    loads = RunLoads(catalog)
    pushdown = to_pushdown(query)
    scanned = candidates(catalog, pushdown, project=project)
    rows = [RunRow(info, loads.loader(src, info), schema=schema) for src, info in scanned]
    matched = [row for row in rows if evaluate(query, row)]
    if sort_node is not None:
        matched = _sorted(matched, sort_node, descending)
    shown = matched[:limit] if limit is not None else matched
    reads = list(referenced_values(query))
    if sort_node is not None and value_text(sort_node) not in {value_text(r) for r in reads}:
        reads.append(sort_node)
    matches = tuple(
        QueryMatch(row.info, tuple((value_text(r), evaluate_value(r, row)) for r in reads)) for row in shown
    )
    return QueryResult(
        query=expr,
        matches=matches,
        matched=len(matched),
        scanned=len(rows),
        loaded=sum(row.loaded for row in rows),
        sort=sort,
        descending=descending,
        pushdown=pushdown,
        unknown_metrics=_unknown_metrics(query, rows),
        errors=tuple(loads.errors),
        hints=_percent_hints(query, rows),
    )


def _percent_hints(query: Query, rows: Sequence[RunRow]) -> tuple[str, ...]:
    """'val/acc is a fraction (0–1): did you mean 80%?' when every loaded run that logs the metric logs a fraction."""
    out: list[str] = []
    for metric, const in percent_suspects(query):
        seen = [row.is_fraction(metric.key) for row in rows if row.loaded]
        known = [f for f in seen if f is not None]
        hint = f"{metric.key} is a fraction (0–1): did you mean {value_text(const)}%?"
        if known and all(known) and hint not in out:
            out.append(hint)
    return tuple(out)


def _sorted(rows: Sequence[RunRow], node: Value, descending: bool) -> list[RunRow]:
    keyed = [(evaluate_value(node, row), i, row) for i, row in enumerate(rows)]
    present = [k for k in keyed if _sortable(k[0])]
    missing = [k for k in keyed if not _sortable(k[0])]
    numbers = [k for k in present if not isinstance(k[0], str)]
    texts = [k for k in present if isinstance(k[0], str)]
    numbers.sort(key=lambda k: (-k[0] if descending else k[0], k[1]))
    texts.sort(key=lambda k: k[1])
    texts.sort(key=lambda k: k[0], reverse=descending)
    return [k[2] for k in (*numbers, *texts, *missing)]


def _sortable(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return not math.isnan(value)
    return isinstance(value, str)


def _unknown_metrics(query: Query, rows: Sequence[RunRow]) -> tuple[str, ...]:
    loaded = [row.run for row in rows if row.loaded and row.run is not None]
    if not loaded:
        return ()
    return tuple(
        sorted(key for key in needed_metrics(query) if not any(key in r.series or key in r.summary for r in loaded))
    )
