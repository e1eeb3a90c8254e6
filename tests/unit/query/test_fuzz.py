"""Whatever text arrives, parsing and evaluating raise nothing but QueryError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runwise.domain.query import (
    QueryError,
    RunRow,
    evaluate,
    needed_metrics,
    needs_series,
    parse_query,
    referenced_values,
    to_mlflow_filter,
    to_pushdown,
    to_wandb_filters,
)
from tests.unit.query.conftest import make_run

ROW = RunRow.of(make_run())
INFO_ONLY = RunRow(make_run().info)  # no loader: config and metrics are simply missing

TOKENS = [
    "val/acc", "train/loss", "config.lr", "config.optimizer.name", "config.amp", "name", "state", "tags", "steps",
    "best(val/loss)", "min(", "max(", "mean(", "exists(", "`a b`", "'x'", '"finished"', "0.5", "80%", "-1", "1e3",
    "==", "=", "!=", "<", "<=", ">", ">=", "contains", "in", "not", "and", "or", "&&", "||", "!", "(", ")", ",",
    "true", "false", "__class__", ".", "%", "-", "`", "'", '"', "\\", "1_000", ".5", "config", "lr",
]  # fmt: skip


def _run(text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError:
        return
    evaluate(query, ROW)
    evaluate(query, INFO_ONLY)
    needed_metrics(query)
    needs_series(query)
    referenced_values(query)
    pushdown = to_pushdown(query)
    to_mlflow_filter(pushdown)
    to_wandb_filters(pushdown)


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=120))
def test_random_text_raises_only_query_errors(text: str) -> None:
    _run(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="abcxyz_/.-`'\"()<>=!%&|, 0123456789eE\\\t\n", max_size=80))
def test_grammar_characters_raise_only_query_errors(text: str) -> None:
    _run(text)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from([" ", ""]))
def test_token_soup_raises_only_query_errors(tokens: list[str], sep: str) -> None:
    _run(sep.join(tokens))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=400))
def test_any_nesting_depth_raises_only_query_errors(depth: int) -> None:
    _run("(" * depth + "val/acc > 0.5" + ")" * depth)
    _run("not " * depth + "val/acc > 0.5")
