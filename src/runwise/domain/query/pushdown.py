"""Query pushdown: the part of a query a tracking server can filter on, and its MLflow / W&B spellings.

The pushdown is a *prefilter*: conditions that cannot be expressed are left out (a conjunction minus
some terms matches a superset), and the full query is always evaluated locally afterwards. So a
translator skipping a condition is safe; translating one wrongly is not, hence the caution below.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import attrs

from runwise.domain.query.nodes import And, Compare, Condition, ConfigRef, Const, ConstList, Field, Query
from runwise.domain.shared_repr import fields_repr

PushValue = str | int | float | bool | tuple[str | int | float | bool, ...]
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_PUSHABLE_FIELDS = frozenset({"name", "id", "state", "tags", "steps", "project"})


@attrs.frozen
class PushCondition:
    """One `target op value` term; `target` is a run field name or a dotted config key."""

    __repr__ = fields_repr

    kind: Literal["field", "config"]
    target: str
    op: str  # == != < <= > >= contains in
    value: PushValue


@attrs.frozen
class Pushdown:
    """A conjunction of simple terms; `complete` when it expresses the whole query."""

    __repr__ = fields_repr

    conditions: tuple[PushCondition, ...] = ()
    complete: bool = False

    def __bool__(self) -> bool:
        return bool(self.conditions)


def to_pushdown(query: Query | Condition) -> Pushdown:
    """The top-level `and` terms that compare a run field or config value with literals."""
    root = query.root if isinstance(query, Query) else query
    terms = root.operands if isinstance(root, And) else (root,)
    pushed = [c for c in (_term(t) for t in terms) if c is not None]
    return Pushdown(tuple(pushed), complete=len(pushed) == len(terms))


def _term(node: Condition) -> PushCondition | None:
    if not isinstance(node, Compare):
        return None
    left, right = node.left, node.right
    op: str = node.op
    if isinstance(left, Const) and isinstance(right, (Field, ConfigRef)) and op in _FLIP:
        left, right, op = right, left, _FLIP[op]  # 0.01 < config.lr  ->  config.lr > 0.01
    if not isinstance(left, (Field, ConfigRef)):
        return None
    if isinstance(left, Field) and left.name not in _PUSHABLE_FIELDS:
        return None
    value: PushValue
    if isinstance(right, ConstList):
        if any(item.percent for item in right.items):
            return None
        value = tuple(item.value for item in right.items)
    elif isinstance(right, Const) and not right.percent:  # a percent's scale depends on the run's value
        value = right.value
    else:
        return None
    if isinstance(left, Field):
        return PushCondition("field", left.name, op, value)
    return PushCondition("config", left.key, op, value)


# MLflow ----------------------------------------------------------------------------------------
_MLFLOW_STATUS = {"finished": "FINISHED", "running": "RUNNING", "crashed": "FAILED"}
_MLFLOW_EQ_STATUS = {"finished": "FINISHED", "running": "RUNNING"}
_MLFLOW_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def to_mlflow_filter(pushdown: Pushdown) -> str:
    """An MLflow `search_runs` filter string (`AND`-joined), or "" when nothing can be pushed.

    Numeric config comparisons are not pushed: MLflow params are strings and compare as text.
    """
    clauses = [c for c in (_mlflow_clause(cond) for cond in pushdown.conditions) if c]
    return " AND ".join(clauses)


def _mlflow_clause(cond: PushCondition) -> str | None:
    if cond.kind == "config":
        if cond.op not in ("==", "!=") or not isinstance(cond.value, str) or _loosely_typed(cond.value):
            return None
        return _mlflow_compare(f"params.{_mlflow_ident(cond.target)}", cond.op, cond.value)
    if cond.target == "name":
        if cond.op == "contains" and isinstance(cond.value, str):
            if any(ch in cond.value for ch in "%_'"):
                return None  # LIKE wildcards cannot be escaped in MLflow's grammar
            return f"attributes.run_name LIKE '%{cond.value}%'"
        return _mlflow_compare("attributes.run_name", cond.op, cond.value)
    if cond.target == "id":
        return _mlflow_compare("attributes.run_id", cond.op, cond.value)
    if cond.target == "state":
        # `crashed` covers FAILED and KILLED, so only its negation is a safe (superset) filter
        status = (_MLFLOW_STATUS if cond.op == "!=" else _MLFLOW_EQ_STATUS).get(str(cond.value))
        return _mlflow_compare("attributes.status", cond.op, status) if status else None
    return None


def _mlflow_compare(target: str, op: str, value: Any) -> str | None:
    if op not in ("==", "!=") or not isinstance(value, str) or "'" in value:
        return None
    return f"{target} {'=' if op == '==' else '!='} '{value}'"


def _mlflow_ident(key: str) -> str:
    return key if _MLFLOW_IDENT.match(key) else "`" + key.replace("`", "") + "`"


# W&B ---------------------------------------------------------------------------------------------
_WANDB_CRASHED = ("crashed", "failed", "killed", "preempted")
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_MONGO = {"==": "$eq", "!=": "$ne", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def to_wandb_filters(pushdown: Pushdown) -> dict[str, Any]:
    """A W&B public-API `filters` dict (MongoDB-style), `{}` when nothing can be pushed."""
    terms = [t for t in (_wandb_term(cond) for cond in pushdown.conditions) if t]
    if not terms:
        return {}
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _wandb_term(cond: PushCondition) -> dict[str, Any] | None:
    if cond.kind == "config":
        if _loosely_typed(cond.value):
            return None  # locally "0.1" also matches 0.1 (and "true" matches true); the server would not
        return _mongo(f"config.{cond.target}", cond.op, cond.value)
    if cond.target == "name":
        return _mongo("display_name", cond.op, cond.value)
    if cond.target == "id":
        return _mongo("name", cond.op, cond.value)  # the API's `name` is the run id
    if cond.target == "tags":
        if cond.op == "contains" and isinstance(cond.value, str):
            return {"tags": {"$in": [cond.value]}}
        return None
    if cond.target == "steps":
        if isinstance(cond.value, (int, float)) and not isinstance(cond.value, bool):
            return _mongo("summary_metrics._step", cond.op, cond.value)
        return None
    if cond.target == "state":
        return _wandb_state(cond)
    return None


def _wandb_state(cond: PushCondition) -> dict[str, Any] | None:
    def states(value: Any) -> list[str]:
        return list(_WANDB_CRASHED) if value == "crashed" else [str(value)]

    if cond.value == "unknown" or (isinstance(cond.value, tuple) and "unknown" in cond.value):
        return None
    if cond.op == "==":
        names = states(cond.value)
        return {"state": names[0] if len(names) == 1 else {"$in": names}}
    if cond.op == "!=":
        return {"state": {"$nin": states(cond.value)}}
    if cond.op == "in" and isinstance(cond.value, tuple):
        return {"state": {"$in": [s for v in cond.value for s in states(v)]}}
    return None


def _loosely_typed(value: PushValue) -> bool:
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if isinstance(item, str) and (_NUMBER_TEXT.match(item) or item.strip().lower() in ("true", "false")):
            return True
    return False


def _mongo(path: str, op: str, value: PushValue) -> dict[str, Any] | None:
    if op == "==":
        return {path: value}
    if op in _MONGO:
        if op != "!=" and isinstance(value, bool):
            return None
        return {path: {_MONGO[op]: value}}
    if op == "in" and isinstance(value, tuple):
        return {path: {"$in": list(value)}}
    if op == "contains" and isinstance(value, str):
        return {path: {"$regex": re.escape(value)}}
    return None
