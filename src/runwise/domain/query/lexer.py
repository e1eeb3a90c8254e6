"""Tokenizer for the query language: a hand-written scanner, so nothing the user types is ever executed."""

from __future__ import annotations

from typing import Literal

import attrs

from runwise.domain.query.errors import QueryError
from runwise.domain.shared_repr import fields_repr

MAX_QUERY_CHARS = 2000
MAX_NUMBER_CHARS = 32  # digits, separators, point and exponent of one literal
MAX_EXPONENT = 308

TokenKind = Literal["name", "key", "string", "number", "op", "lparen", "rparen", "comma", "eof"]

KEYWORDS = frozenset({"and", "or", "not", "contains", "in", "true", "false"})
# Spelled-out and symbolic operators; the symbolic logic operators are accepted because assistants write them.
_OPERATORS = {
    "==": "==",
    "=": "==",
    "!=": "!=",
    "<=": "<=",
    ">=": ">=",
    "<": "<",
    ">": ">",
    "&&": "and",
    "||": "or",
    "!": "not",
}
_DIGITS = frozenset("0123456789")  # ASCII only: str.isdigit() also accepts "²", which int() rejects
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}
_KEY_HINT = "write a metric key with other characters in backticks, e.g. `eval:acc@1`"


@attrs.frozen
class Token:
    """One lexeme; `value` is the decoded text (a key, a string's contents, a number, an operator)."""

    __repr__ = fields_repr

    kind: TokenKind
    value: str | int | float
    pos: int
    end: int
    percent: bool = False  # a number written with a trailing '%'


def tokenize(text: str) -> list[Token]:
    """Split a query into tokens. Raises QueryError at the first character that cannot start one."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}", text, MAX_QUERY_CHARS)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isalpha() or ch == "_":
            i = _name(text, i, tokens)
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            i = _number(text, i, tokens)
        elif ch in "\"'":
            i = _string(text, i, tokens)
        elif ch == "`":
            i = _backtick(text, i, tokens)
        elif ch == "(":
            tokens.append(Token("lparen", "(", i, i + 1))
            i += 1
        elif ch == ")":
            tokens.append(Token("rparen", ")", i, i + 1))
            i += 1
        elif ch == ",":
            tokens.append(Token("comma", ",", i, i + 1))
            i += 1
        elif ch == "-":
            i = _negative(text, i, tokens)
        else:
            i = _operator(text, i, tokens)
    tokens.append(Token("eof", "", n, n))
    return tokens


def _name(text: str, i: int, out: list[Token]) -> int:
    """A bare name: letters, digits and `_ . / -`; a '-' belongs to the name only when a name character follows."""
    start, n = i, len(text)
    i += 1
    while i < n:
        ch = text[i]
        if ch.isalnum() or ch in "_./" or (ch == "-" and i + 1 < n and (text[i + 1].isalnum() or text[i + 1] == "_")):
            i += 1
        else:
            break
    name = text[start:i]
    _check_segments(name, text, start)
    out.append(Token("name", name, start, i))
    return i


def _check_segments(name: str, text: str, start: int) -> None:
    """Reject empty path segments and dunder names: they are never keys, and they are what attacks look like."""
    offset = start
    for segment in name.replace("/", ".").split("."):
        if segment.startswith("__"):
            raise QueryError(
                f"names starting with '__' are not allowed ('{segment}')",
                text,
                offset,
                "the query language has no attribute access; refer to run fields, config.KEY or metric keys",
            )
        offset += len(segment) + 1
    if name.endswith((".", "/")) or ".." in name or "//" in name or "./" in name or "/." in name:
        bad = next(j for j, ch in enumerate(name) if ch in "./" and (j + 1 == len(name) or name[j + 1] in "./"))
        raise QueryError(f"'{name}' has an empty part", text, start + bad, _KEY_HINT)


def _number(text: str, i: int, out: list[Token], negative: bool = False, sign_pos: int | None = None) -> int:
    """A decimal literal with optional `_` separators, fraction, exponent and a trailing '%'."""
    start, n = i, len(text)
    while i < n and (text[i] in _DIGITS or text[i] == "_"):
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and (text[i] in _DIGITS or text[i] == "_"):
            i += 1
    is_float = "." in text[start:i]
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            while j < n and text[j] in _DIGITS:
                j += 1
            i, is_float = j, True
    literal = text[start:i]
    first = start if sign_pos is None else sign_pos
    if len(literal) > MAX_NUMBER_CHARS:
        raise QueryError(
            f"number is too long ({len(literal)} characters; the limit is {MAX_NUMBER_CHARS})", text, first
        )
    if "__" in literal or literal.endswith("_") or "_." in literal or "._" in literal or literal.startswith("_"):
        raise QueryError(f"misplaced '_' in number '{literal}'", text, start)
    if i < n and (text[i].isalpha() or text[i] == "_"):
        raise QueryError(
            f"unexpected '{text[i]}' after the number {literal}", text, i, "separate a number from a name with a space"
        )
    clean = literal.replace("_", "")
    value: int | float
    if is_float:
        exponent = clean.lower().partition("e")[2]
        if exponent and abs(int(exponent)) > MAX_EXPONENT:
            raise QueryError(f"number {literal} is out of range", text, first)
        value = float(clean)
        if value in (float("inf"), float("-inf")):
            raise QueryError(f"number {literal} is out of range", text, first)
    else:
        value = int(clean)
    if negative:
        value = -value
    percent = i < n and text[i] == "%"
    end = i + 1 if percent else i
    out.append(Token("number", value, first, end, percent=percent))
    return end


def _negative(text: str, i: int, out: list[Token]) -> int:
    """'-' only ever negates a number literal: the language has no arithmetic."""
    j = i + 1
    while j < len(text) and text[j] == " ":
        j += 1
    if j < len(text) and (text[j] in _DIGITS or (text[j] == "." and j + 1 < len(text) and text[j + 1] in _DIGITS)):
        return _number(text, j, out, negative=True, sign_pos=i)
    raise QueryError("'-' can only negate a number (there is no arithmetic)", text, i, _KEY_HINT)


def _string(text: str, i: int, out: list[Token]) -> int:
    """A quoted string; backslash escapes only for the quote, backslash, \\n and \\t."""
    quote, start, n = text[i], i, len(text)
    i += 1
    chars: list[str] = []
    while i < n:
        ch = text[i]
        if ch == quote:
            out.append(Token("string", "".join(chars), start, i + 1))
            return i + 1
        if ch == "\\":
            if i + 1 >= n:
                break
            escaped = _ESCAPES.get(text[i + 1])
            if escaped is None:
                raise QueryError(
                    f"unknown escape '\\{text[i + 1]}' in a string", text, i, "use \\\\, \\', \\\", \\n or \\t"
                )
            chars.append(escaped)
            i += 2
            continue
        chars.append(ch)
        i += 1
    raise QueryError("string is not closed", text, start, f"end it with {quote}")


def _backtick(text: str, i: int, out: list[Token]) -> int:
    """A metric key taken verbatim between backticks: for keys with spaces, operators or leading digits."""
    end = text.find("`", i + 1)
    if end < 0:
        raise QueryError("backtick key is not closed", text, i, "end it with `")
    key = text[i + 1 : end]
    if not key.strip():
        raise QueryError("empty key between backticks", text, i)
    if key.startswith("__") or "/__" in key or ".__" in key:
        raise QueryError("names starting with '__' are not allowed", text, i + 1)
    out.append(Token("key", key, i, end + 1))
    return end + 1


def _operator(text: str, i: int, out: list[Token]) -> int:
    for width in (2, 1):
        symbol = text[i : i + width]
        if symbol in _OPERATORS:
            out.append(Token("op", _OPERATORS[symbol], i, i + width))
            return i + width
    ch = text[i]
    if ch == "%":
        raise QueryError("'%' must follow a number, as in 80%", text, i)
    if ch == ".":
        raise QueryError("unexpected '.': the query language has no attribute access", text, i, _KEY_HINT)
    if ch in "&|":
        raise QueryError(f"unexpected '{ch}'", text, i, "use 'and' / 'or'")
    shown = ch if ch.isprintable() else repr(ch)
    raise QueryError(f"unexpected character '{shown}'", text, i, _KEY_HINT)
