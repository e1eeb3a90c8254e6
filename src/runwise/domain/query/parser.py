"""Recursive-descent parser: tokens to a `Query`, with depth and size limits instead of a RecursionError.

Precedence, loosest first: `or`, `and`, `not`, comparison. Comparisons do not chain (`a < b < c` is
an error: write `a < b and b < c`).
"""

from __future__ import annotations

from typing import cast

from runwise.domain.query.errors import QueryError
from runwise.domain.query.lexer import KEYWORDS, Token, tokenize
from runwise.domain.query.nodes import (
    FUNCTIONS,
    METRIC_STATS,
    RUN_FIELDS,
    And,
    Compare,
    CompareOp,
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

MAX_DEPTH = 32  # nested parentheses and `not`s
MAX_TERMS = 200  # comparisons and list items in one query
_COMPARE_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FUNCS_TEXT = ", ".join(sorted(FUNCTIONS))


def parse_query(text: str) -> Query:
    """Parse a query. Raises QueryError (an InvalidInput) pointing at the offending column."""
    if not text.strip():
        raise QueryError("empty query", text, 0, 'write a condition, e.g. val/acc > 80% and state == "finished"')
    parser = _Parser(text, tokenize(text))
    node = parser.parse_or()
    parser.expect_end()
    return Query(parser.as_condition(node), text)


def parse_value(text: str) -> Value:
    """Parse one operand (a sort key such as `best(val/loss)` or `config.lr`); no conditions allowed."""
    if not text.strip():
        raise QueryError("empty expression", text, 0, "write a metric key, config.KEY or a run field")
    parser = _Parser(text, tokenize(text))
    node = parser.operand()
    parser.expect_end()
    if not isinstance(node, (Field, ConfigRef, MetricRef, Const)):
        raise QueryError("expected a value, not a condition", text, 0)
    return node


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.terms = 0

    # token helpers ---------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def keyword(self, tok: Token | None = None) -> str | None:
        tok = tok or self.tok
        if tok.kind == "name" and isinstance(tok.value, str) and tok.value.lower() in KEYWORDS:
            return tok.value.lower()
        if tok.kind == "op" and tok.value in ("and", "or", "not"):
            return str(tok.value)
        return None

    def error(self, reason: str, tok: Token | None = None, hint: str | None = None) -> QueryError:
        return QueryError(reason, self.text, (tok or self.tok).pos, hint)

    def describe(self, tok: Token) -> str:
        if tok.kind == "eof":
            return "the end of the query"
        return f"'{self.text[tok.pos : tok.end]}'"

    def expect_end(self) -> None:
        if self.tok.kind != "eof":
            tok = self.tok
            if tok.kind == "rparen":
                raise self.error("unbalanced ')'")
            prev = self.tokens[self.i - 1] if self.i else None
            after = f" after {self.describe(prev)}" if prev else ""
            raise self.error(
                f"expected an operator, 'and', 'or' or the end of the query{after}, found {self.describe(tok)}",
                hint="write keys with spaces or operator characters in backticks",
            )

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"query is nested too deeply (more than {MAX_DEPTH} levels)", tok)

    def count_term(self, tok: Token) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.error(f"query has too many terms (more than {MAX_TERMS})", tok)

    # grammar ---------------------------------------------------------------------------------
    def parse_or(self) -> Condition | Value:
        start = self.tok
        first = self.parse_and()
        if self.keyword() != "or":
            return first
        operands = [self.as_condition(first)]
        while self.keyword() == "or":
            self.advance()
            operands.append(self.as_condition(self.parse_and()))
        return Or(tuple(operands), start.pos)

    def parse_and(self) -> Condition | Value:
        start = self.tok
        first = self.parse_not()
        if self.keyword() != "and":
            return first
        operands = [self.as_condition(first)]
        while self.keyword() == "and":
            self.advance()
            operands.append(self.as_condition(self.parse_not()))
        return And(tuple(operands), start.pos)

    def parse_not(self) -> Condition | Value:
        nots: list[Token] = []
        while self.keyword() == "not":  # iterative: `not not not ...` costs no stack
            nots.append(self.advance())
            self.enter(nots[-1])
        node = self.parse_comparison()
        for tok in reversed(nots):
            node = Not(self.as_condition(node, tok), tok.pos)
            self.depth -= 1
        return node

    def parse_comparison(self) -> Condition | Value:
        left = self.operand()
        op_tok = self.tok
        op = self.comparison_op()
        if op is None:
            return left
        self.count_term(op_tok)
        negated = op.startswith("not ")
        op = op.removeprefix("not ")
        left_value = self.as_value(left, op_tok, "left")
        if op == "in":
            right: Value | ConstList = self.const_list()
        else:
            if self.tok.kind == "eof" or self.keyword() in ("and", "or"):
                raise self.error(f"expected a value after '{self.text[op_tok.pos : self.tokens[self.i - 1].end]}'")
            right = self.as_value(self.operand(), op_tok, "right")
        if self.comparison_op(peek=True) is not None:
            raise self.error("comparisons cannot be chained", hint="write a < b and b < c")
        node: Condition = Compare(cast(CompareOp, op), left_value, right, op_tok.pos)
        if negated:
            node = Not(node, op_tok.pos)
        return node

    def comparison_op(self, *, peek: bool = False) -> str | None:
        """`==`..`>=`, `contains`, `in`, `not contains`, `not in`; consumes it unless peeking."""
        tok = self.tok
        if tok.kind == "op" and tok.value in _COMPARE_OPS:
            op = str(tok.value)
            width = 1
        elif self.keyword() in ("contains", "in"):
            op, width = str(self.keyword()), 1
        elif self.keyword() == "not" and self.keyword(self.tokens[self.i + 1]) in ("contains", "in"):
            op, width = f"not {self.keyword(self.tokens[self.i + 1])}", 2
        else:
            return None
        if not peek:
            for _ in range(width):
                self.advance()
        return op

    def operand(self) -> Condition | Value:
        tok = self.tok
        if tok.kind == "lparen":
            self.advance()
            self.enter(tok)
            if self.tok.kind == "rparen":
                raise self.error("empty parentheses")
            inner = self.parse_or()
            closing = self.tokens[self.i]  # re-read: parse_or moved on (mypy keeps the narrowed kind)
            if closing.kind != "rparen":
                raise self.error(
                    f"expected ')' to close the '(' at column {tok.pos + 1}, found {self.describe(self.tok)}"
                )
            self.advance()
            self.depth -= 1
            return inner
        if tok.kind == "number":
            self.advance()
            return Const(tok.value, tok.pos, percent=tok.percent)
        if tok.kind == "string":
            self.advance()
            return Const(tok.value, tok.pos)
        if tok.kind == "key":
            self.advance()
            return MetricRef(str(tok.value), "last", tok.pos)
        if tok.kind == "name":
            word = self.keyword()
            if word in ("true", "false"):
                self.advance()
                return Const(word == "true", tok.pos)
            if word is not None:
                raise self.error(
                    f"expected a value, found the keyword '{word}'",
                    hint="write a key named like a keyword in backticks",
                )
            if self.tokens[self.i + 1].kind == "lparen":
                return self.call()
            self.advance()
            return self.reference(str(tok.value), tok)
        if tok.kind == "eof":
            prev = self.tokens[self.i - 1] if self.i else None
            where = f" after {self.describe(prev)}" if prev else ""
            raise self.error(f"expected a value{where}")
        raise self.error(f"expected a value, found {self.describe(tok)}")

    def reference(self, name: str, tok: Token) -> Field | ConfigRef | MetricRef:
        """Classify a bare name: run field, `config.` path, or metric key (anything else)."""
        head, dot, rest = name.partition(".")
        if head == "config" and "/" not in head:
            if not dot:
                raise self.error("'config' needs a key", tok, "write config.KEY, e.g. config.lr or config.optimizer.lr")
            return ConfigRef(tuple(rest.split(".")), tok.pos)
        if name in RUN_FIELDS:
            return Field(name, tok.pos)
        if dot and head in RUN_FIELDS and "/" not in head:
            raise self.error(
                f"run field '{head}' has no attributes",
                tok,
                f"compare the field itself; for a metric key write it in backticks: `{name}`",
            )
        return MetricRef(name, "last", tok.pos)

    def call(self) -> MetricRef | Exists:
        name_tok = self.advance()
        func = str(name_tok.value).lower()
        if func not in FUNCTIONS:
            raise self.error(f"unknown function '{name_tok.value}'", name_tok, f"known functions: {_FUNCS_TEXT}")
        self.advance()  # (
        arg_tok = self.tok
        if arg_tok.kind == "rparen":
            raise self.error(f"{func}() needs a metric key, e.g. {func}(val/loss)")
        if arg_tok.kind not in ("name", "key", "string") or self.keyword() is not None:
            raise self.error(f"{func}() takes one metric key, found {self.describe(arg_tok)}")
        self.advance()
        if self.tok.kind != "rparen":
            raise self.error(
                f"expected ')' after the key in {func}(...), found {self.describe(self.tok)}",
                hint=f"{func}() takes exactly one key",
            )
        self.advance()
        key = str(arg_tok.value)
        if func == "exists":
            target = self.reference(key, arg_tok) if arg_tok.kind == "name" else MetricRef(key, "last", arg_tok.pos)
            return Exists(target, name_tok.pos)
        if arg_tok.kind == "name" and key.startswith("config."):
            raise self.error(f"{func}() takes a metric key; config values have no statistics", arg_tok)
        if arg_tok.kind == "string":
            _check_string_key(key, self.text, arg_tok.pos)
        assert func in METRIC_STATS
        return MetricRef(key, func, name_tok.pos)

    def const_list(self) -> ConstList:
        start = self.tok
        if start.kind != "lparen":
            raise self.error('\'in\' needs a parenthesised list, e.g. state in ("finished", "running")')
        self.advance()
        items: list[Const] = []
        while True:
            tok = self.tok
            if tok.kind in ("number", "string"):
                items.append(Const(tok.value, tok.pos, percent=tok.percent))
            elif tok.kind == "name" and self.keyword() in ("true", "false"):
                items.append(Const(self.keyword() == "true", tok.pos))
            else:
                raise self.error(f"expected a literal in the list, found {self.describe(tok)}")
            self.advance()
            self.count_term(tok)
            if self.tok.kind == "comma":
                self.advance()
                continue
            if self.tok.kind == "rparen":
                self.advance()
                return ConstList(tuple(items), start.pos)
            raise self.error(f"expected ',' or ')' in the list, found {self.describe(self.tok)}")

    # kind checks -----------------------------------------------------------------------------
    def as_value(self, node: Condition | Value, op_tok: Token, side: str) -> Value:
        if isinstance(node, (Const, Field, ConfigRef, MetricRef)):
            return node
        op_text = self.text[op_tok.pos : op_tok.end]
        raise self.error(f"the {side} side of '{op_text}' is a condition, not a value", op_tok)

    def as_condition(self, node: Condition | Value, at: Token | None = None) -> Condition:
        if isinstance(node, (Field, ConfigRef, MetricRef)):
            return Truthy(node, node.pos)
        if isinstance(node, Const):
            if isinstance(node.value, bool):
                return Truthy(node, node.pos)
            raise QueryError(
                "a literal alone is not a condition", self.text, node.pos, "compare it, e.g. val/acc > 0.8"
            )
        return node


def _check_string_key(key: str, text: str, pos: int) -> None:
    if not key.strip():
        raise QueryError("empty metric key", text, pos)
    if key.startswith("__") or "/__" in key or ".__" in key:
        raise QueryError("names starting with '__' are not allowed", text, pos)
