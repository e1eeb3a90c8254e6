"""A small, safe query language over runs: a hand-written tokenizer and parser, never `eval`.

Grammar (EBNF; keywords are case-insensitive)::

    query      = or_expr ;
    or_expr    = and_expr { ("or" | "||") and_expr } ;
    and_expr   = not_expr { ("and" | "&&") not_expr } ;
    not_expr   = { "not" | "!" } comparison ;
    comparison = operand [ compare_op operand
                         | ["not"] "contains" operand
                         | ["not"] "in" "(" literal { "," literal } ")" ] ;
    compare_op = "==" | "=" | "!=" | "<" | "<=" | ">" | ">=" ;
    operand    = literal | reference | call | "(" or_expr ")" ;
    call       = stat "(" key ")" | "exists" "(" reference ")" ;
    stat       = "last" | "first" | "best" | "min" | "max" | "mean" ;
    reference  = field | "config." name { "." name } | key ;
    field      = "name" | "id" | "state" | "steps" | "tags" | "project" | "source" | "runtime" | "notes" ;
    key        = bare_key | "`" any-but-backtick "`" | string ;     (string only inside a call)
    bare_key   = (letter | "_") { letter | digit | "_" | "." | "/" | "-" } ;
    literal    = ["-"] number ["%"] | string | "true" | "false" ;
    string     = '"' ... '"' | "'" ... "'" ;                         (escapes: \\ \" \' \n \t)

Meaning:
- A bare key (`val/acc`, `train/loss`, `eval.f1`) is that metric's last finite value; `best(k)` is its
  best value by the schema's direction, `min/max/mean/first/last(k)` statistics over finite values.
  A key whose characters clash with the grammar (spaces, `:`, `@`, `+`, a leading digit) or that is
  named like a field or keyword is written in backticks: `` `eval:acc@1` ``, `` `name` ``; inside a
  call a quoted string also works: `best("val loss")`.
- `config.a.b` reads the config: the flat key `a.b` if present, else nested `a` → `b`.
- Anything missing (field, config value, metric, or a metric with no finite value) makes a comparison
  false, `!=` included; use `exists(x)` to test presence. A reference alone is a condition that is
  true when present and truthy.
- `80%` means 0.8 when compared with a fraction (a metric whose finite values all lie in [0, 1], or a
  schema `percent` key, or a number in [0, 1]) and 80 otherwise. A fraction compared with a plain number
  in (1, 100] (`val/acc > 80`) matches as written, with a hint that `80%` was probably meant.
- A metric (always a number) compared with text that is not a number, or with true/false, is an error.
- Numeric strings compare as numbers; `contains` is a case-sensitive substring test on strings and a
  membership test on tags and lists; comparisons do not chain; NaN never compares.
- Limits: 2000 characters, 32 levels of nesting, 200 terms, 32-character numbers with |exponent| ≤ 308.
  Names starting with `__`, attribute access on fields and unknown functions are rejected.
"""

from __future__ import annotations

from runwise.domain.query.analysis import (
    needed_config,
    needed_metrics,
    needs_config,
    needs_run,
    needs_series,
    percent_suspects,
    referenced_values,
    validate,
    value_text,
)
from runwise.domain.query.errors import QueryError
from runwise.domain.query.evaluate import QueryRow, compare_values, evaluate, evaluate_value
from runwise.domain.query.lexer import MAX_QUERY_CHARS
from runwise.domain.query.nodes import Query, Value
from runwise.domain.query.parser import MAX_DEPTH, parse_query, parse_value
from runwise.domain.query.pushdown import PushCondition, Pushdown, to_mlflow_filter, to_pushdown, to_wandb_filters
from runwise.domain.query.rows import RunRow, lookup_config

__all__ = [
    "MAX_DEPTH",
    "MAX_QUERY_CHARS",
    "PushCondition",
    "Pushdown",
    "Query",
    "QueryError",
    "QueryRow",
    "RunRow",
    "Value",
    "compare_values",
    "evaluate",
    "evaluate_value",
    "lookup_config",
    "needed_config",
    "needed_metrics",
    "needs_config",
    "needs_run",
    "needs_series",
    "parse_query",
    "parse_value",
    "percent_suspects",
    "referenced_values",
    "to_mlflow_filter",
    "to_pushdown",
    "to_wandb_filters",
    "validate",
    "value_text",
]
