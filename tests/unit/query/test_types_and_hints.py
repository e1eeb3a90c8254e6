"""Queries that cannot mean what they say: a number against text is an error, a fraction against 80 gets a hint,
and a field the run columns already show is not shown twice."""

from __future__ import annotations

import pytest

from runwise.adapters.renderers.tabular import MarkdownRenderer, TextRenderer
from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.domain.budget import render_sections
from runwise.domain.query import QueryError, parse_query, validate
from runwise.services.catalog import Catalog
from runwise.services.query import query_runs
from tests.unit.query.conftest import make_run


@pytest.fixture
def catalog() -> Catalog:
    return Catalog([InMemoryRunSource([make_run("a"), make_run("b", state="crashed")])])


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('val/acc > "abc"', 11),
        ("'abc' <= best(val/loss)", 1),
        ('val/acc in (0.8, "x")', 18),
        ("steps == true", 10),
        ('runtime != "long"', 12),
    ],
)
def test_a_number_compared_with_text_is_an_error_at_the_text(text: str, column: int) -> None:
    with pytest.raises(QueryError, match="is a number and cannot be compared with") as caught:
        validate(parse_query(text))
    assert caught.value.column == column


@pytest.mark.parametrize("text", ['val/acc > "0.8"', 'config.warmup == "500"', 'name == "a"', "tags contains 'bert'"])
def test_numeric_text_config_values_and_fields_still_compare(text: str) -> None:
    validate(parse_query(text))


def test_contains_on_a_number_is_an_error() -> None:
    with pytest.raises(QueryError, match="'contains' needs text"):
        validate(parse_query('val/acc contains "8"'))


def test_service_raises_the_type_error(catalog: Catalog) -> None:
    with pytest.raises(QueryError):
        query_runs(catalog, 'val/acc > "abc"')


def test_a_fraction_against_a_percent_sized_number_gets_a_hint(catalog: Catalog) -> None:
    result = query_runs(catalog, "val/acc > 80")
    assert result.matched == 0
    assert result.hints == ("val/acc is a fraction (0–1): did you mean 80%?",)
    assert (
        "hint: val/acc is a fraction (0–1): did you mean 80%?"
        in render_sections(TextRenderer().query_sections(result)).splitlines()
    )
    assert query_runs(catalog, "val/acc > 80%").hints == ()
    assert query_runs(catalog, "train/loss < 2").hints == ()  # the loss (2.0 at step 0) is no fraction
    assert query_runs(catalog, "throughput/tokens_per_sec > 80").hints == ()  # not a fraction


def test_state_read_by_the_query_is_shown_once(catalog: Catalog) -> None:
    result = query_runs(catalog, 'best(val/loss) < 0.8 or state == "crashed"')
    for renderer in (TextRenderer(), MarkdownRenderer()):
        header = next(
            line
            for line in render_sections(renderer.query_sections(result)).splitlines()
            if line.startswith(("run ", "| run "))
        )
        assert header.count("state") == 1 and "best(val/loss)" in header, header
