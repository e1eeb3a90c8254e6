"""Errors point at the offending column; hostile input is rejected with a QueryError, never run."""

from __future__ import annotations

import inspect
import sys

import pytest

from runwise.domain.errors import InvalidInput
from runwise.domain.query import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    QueryError,
    RunRow,
    evaluate,
    parse_query,
    parse_value,
    validate,
)
from runwise.domain.schema import MetricSchema
from tests.unit.query.conftest import make_run


def error_of(text: str) -> QueryError:
    with pytest.raises(QueryError) as info:
        parse_query(text)
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("val/acc > and x", 11, "expected a value after '>'"),
        ("val/acc >", 10, "expected a value after '>'"),
        ("val/acc >= or x", 12, "expected a value after '>='"),
        ("a < b < c", 7, "comparisons cannot be chained"),
        ("(a > 1", 7, "expected ')' to close the '(' at column 1"),
        ("a > 1)", 6, "unbalanced ')'"),
        ("()", 2, "empty parentheses"),
        ("a > 1 b > 2", 7, "expected an operator, 'and', 'or' or the end of the query after '1', found 'b'"),
        ("a ~ 1", 3, "unexpected character '~'"),
        ("a > 1 & b", 7, "unexpected '&'"),
        ("a > 50k", 7, "unexpected 'k' after the number 50"),
        ("a > 1__0", 5, "misplaced '_'"),
        ("name == 'open", 9, "string is not closed"),
        ("name == 'a\\q'", 11, "unknown escape '\\q'"),
        ("`val/acc > 1", 1, "backtick key is not closed"),
        ("`` > 1", 1, "empty key between backticks"),
        ("a > 10 %", 8, "'%' must follow a number"),
        ("a - 1", 3, "expected an operator"),
        ("a > -b", 5, "'-' can only negate a number"),
        ("config > 1", 1, "'config' needs a key"),
        ("config. > 1", 7, "'config.' has an empty part"),
        ("name.upper == 'x'", 1, "run field 'name' has no attributes"),
        ("and", 1, "expected a value, found the keyword 'and'"),
        ("a > 1 and", 10, "expected a value after 'and'"),
        ("not", 4, "expected a value after 'not'"),
        ("best()", 6, "best() needs a metric key"),
        ("best(a, b)", 7, "expected ')' after the key in best(...)"),
        ("best(1)", 6, "best() takes one metric key, found '1'"),
        ("best(config.lr) > 1", 6, "best() takes a metric key; config values have no statistics"),
        ("median(a) > 1", 1, "unknown function 'median'"),
        ("(a > 1) > 2", 9, "the left side of '>' is a condition, not a value"),
        ("a > (b > 1)", 3, "the right side of '>' is a condition, not a value"),
        ("'text'", 1, "a literal alone is not a condition"),
        ("1 and a", 1, "a literal alone is not a condition"),
        ("state in 'finished'", 10, "'in' needs a parenthesised list"),
        ("state in (name)", 11, "expected a literal in the list"),
        ("state in ('a' 'b')", 15, "expected ',' or ')' in the list"),
        ("", 1, "empty query"),
        ("   ", 1, "empty query"),
    ],
)
def test_error_position_and_reason(text: str, column: int, reason: str) -> None:
    err = error_of(text)
    assert err.column == column, str(err)
    assert reason in err.reason, str(err)
    assert str(err).startswith(f"query error at column {column}: ")


def test_error_message_has_a_caret_under_the_column() -> None:
    err = error_of("val/acc > and x")
    lines = str(err).splitlines()
    assert lines[0] == "query error at column 11: expected a value after '>'"
    assert lines[1] == "  val/acc > and x"
    assert lines[2] == "  " + " " * 10 + "^"


def test_long_query_shows_a_window_around_the_error() -> None:
    text = "a > 1 and " * 40 + "b >"
    lines = str(error_of(text)).splitlines()
    assert len(lines[1]) < 80
    assert lines[1].startswith("  …")
    assert lines[2].index("^") == len(lines[1]) - 1 + 1  # caret just past the last shown character


def test_query_error_is_an_invalid_input() -> None:
    assert isinstance(error_of("a >"), InvalidInput)


def test_best_of_a_metric_without_direction_is_rejected_before_scanning() -> None:
    query = parse_query("val/acc > 0.5 and best(lr) < 1")
    with pytest.raises(QueryError) as info:
        validate(query)
    assert info.value.column == 19
    assert "use min(...) or max(...)" in str(info.value)
    validate(query, MetricSchema(lower_is_better=("lr",)))  # the schema can give it one


HOSTILE = [
    "__class__",
    "__import__('os').system('ls')",
    "config.__dict__",
    "config.__class__.__mro__",
    "config.optimizer.__class__",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "name.__class__ == 1",
    "val/__dict__ > 1",
    "`__class__` > 1",
    "best(__class__) > 1",
    "best(`__globals__`) > 1",
    "best('__class__') > 1",
    "exists(__builtins__)",
    "eval('1+1')",
    "exec('import os')",
    "open('/etc/passwd')",
    "os.system('ls')",
    "getattr(config, 'lr')",
    "globals()",
    "compile('x', 'f', 'eval')",
    "lambda: 1",
    "[x for x in ()]",
    "{}",
    "a; import os",
    "'a' + 'b' == 'ab'",
    "2 ** 1000 > 1",
    "a * 3 > 1",
    "x if y else z",
    "f'{config}' == 'x'",
    "a > 1\x00",
    "a > 1 # comment",
    "a @ b",
    "$where",
    "config['lr'] > 1",
    "a > " + "9" * 40,
    "a > 1e999",
    "a > 1e-999",
    "a > " + "1" * 20 + "." + "1" * 20,
    "a > 1" + "0" * 5000,
    "(" * 100 + "a > 1" + ")" * 100,
    "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1),
    "not " * (MAX_DEPTH + 1) + "a",
    "a" * (MAX_QUERY_CHARS + 1),
    "a > 1 and " * 300 + "a > 1",
    "state in (" + ", ".join(["1"] * 300) + ")",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:40]))
def test_hostile_input_is_rejected_clearly(text: str) -> None:
    err = error_of(text)
    assert err.reason and str(err).startswith("query error at column ")


def test_deep_nesting_is_a_query_error_even_with_a_low_recursion_limit() -> None:
    """The parser's own stack stays small (a few frames per level), whatever the input's depth."""
    text = "(" * 900 + "a" + ")" * 900
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 250)
    try:
        with pytest.raises(QueryError, match="nested too deeply"):
            parse_query(text)
    finally:
        sys.setrecursionlimit(old)


def test_nesting_at_the_limit_parses_and_evaluates() -> None:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 250)
    try:
        deep = parse_query("(" * MAX_DEPTH + "a > 1" + ")" * MAX_DEPTH)
        nots = parse_query("not " * MAX_DEPTH + "a")
        row = RunRow.of(make_run(series={"a": ([0], [2.0])}))
        assert evaluate(deep, row) is True
        assert evaluate(nots, row) is True  # an even number of nots
    finally:
        sys.setrecursionlimit(old)


def test_unknown_function_lists_the_known_ones() -> None:
    assert "known functions: best, exists, first, last, max, mean, min" in str(error_of("eval('1')"))


@pytest.mark.parametrize("text", ["val/acc", "-val/acc", "best(val/loss)", "config.lr", "steps", "`a b`"])
def test_parse_value_accepts_operands(text: str) -> None:
    if text.startswith("-"):
        with pytest.raises(QueryError):
            parse_value(text)
    else:
        parse_value(text)


def test_parse_value_rejects_conditions() -> None:
    with pytest.raises(QueryError):
        parse_value("a > 1")
    with pytest.raises(QueryError):
        parse_value("(a > 1)")
