"""The tokenizer: names with `/ . - _`, quoted keys, strings, numbers and operator spellings."""

from __future__ import annotations

import pytest

from runwise.domain.query import parse_value
from runwise.domain.query.lexer import tokenize
from runwise.domain.query.nodes import ConfigRef, Const, Field, MetricRef


def kinds(text: str) -> list[tuple[str, object]]:
    return [(t.kind, t.value) for t in tokenize(text)][:-1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("val/acc", [("name", "val/acc")]),
        ("train/loss-ema_2.x", [("name", "train/loss-ema_2.x")]),
        ("val/acc>-1", [("name", "val/acc"), ("op", ">"), ("number", -1)]),
        ("a>=b", [("name", "a"), ("op", ">="), ("name", "b")]),
        ("a=b", [("name", "a"), ("op", "=="), ("name", "b")]),
        ("a&&!b||c", [("name", "a"), ("op", "and"), ("op", "not"), ("name", "b"), ("op", "or"), ("name", "c")]),
        ("`eval:acc@1` < 2", [("key", "eval:acc@1"), ("op", "<"), ("number", 2)]),
        ("'it\\'s' \"a\\\"b\"", [("string", "it's"), ("string", 'a"b')]),
        ("'\\\\n'", [("string", "\\n")]),
        (
            "1_000 2.5 .5 1e-3 3E+2 7.",
            [("number", 1000), ("number", 2.5), ("number", 0.5), ("number", 1e-3), ("number", 300.0), ("number", 7.0)],
        ),
        ("- 2", [("number", -2)]),
        ("f(x, y)", [("name", "f"), ("lparen", "("), ("name", "x"), ("comma", ","), ("name", "y"), ("rparen", ")")]),
    ],
)
def test_tokens(text: str, expected: list[tuple[str, object]]) -> None:
    assert kinds(text) == expected


def test_percent_flag() -> None:
    (tok, _eof) = tokenize("80%")
    assert tok.value == 80 and tok.percent and tok.end == 3


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("val/acc", MetricRef("val/acc", "last", 0)),
        ("`name`", MetricRef("name", "last", 0)),
        ("last(name)", MetricRef("name", "last", 0)),
        ("name", Field("name", 0)),
        ("config.optimizer.lr", ConfigRef(("optimizer", "lr"), 0)),
        ("configs.lr", MetricRef("configs.lr", "last", 0)),
        ("eval.f1", MetricRef("eval.f1", "last", 0)),
        ("best(val loss)", None),
        ("'s'", Const("s", 0)),
    ],
)
def test_references(text: str, node: object) -> None:
    if node is None:
        with pytest.raises(Exception, match="query error"):
            parse_value(text)
    else:
        assert parse_value(text) == node
