"""What a query needs, and the pushdown a tracking server can apply (MLflow string, W&B filters)."""

from __future__ import annotations

import pytest

from runwise.domain.query import (
    PushCondition,
    needed_config,
    needed_metrics,
    needs_config,
    needs_run,
    needs_series,
    parse_query,
    referenced_values,
    to_mlflow_filter,
    to_pushdown,
    to_wandb_filters,
    value_text,
)


def test_needed_metrics_and_series() -> None:
    q = parse_query("val/acc > 0.5 and (best(val/loss) < 1 or not exists(`a b`)) and config.lr < 1")
    assert needed_metrics(q) == {"val/acc", "val/loss", "a b"}
    assert needed_config(q) == {"lr"}
    assert needs_series(q) and needs_config(q) and needs_run(q)


def test_field_only_query_needs_nothing_loaded() -> None:
    q = parse_query("state == 'finished' and tags contains 'x' and steps > 100")
    assert needed_metrics(q) == frozenset()
    assert not needs_series(q) and not needs_config(q) and not needs_run(q)


def test_config_only_query_needs_the_run_but_no_series() -> None:
    q = parse_query("config.optimizer.lr == 0.1")
    assert needs_run(q) and needs_config(q) and not needs_series(q)


def test_referenced_values_are_deduplicated_in_order() -> None:
    q = parse_query("val/acc > 0.5 and config.lr < 1 and val/acc < 0.9 and best(`a b`) > 0")
    assert [value_text(v) for v in referenced_values(q)] == ["val/acc", "config.lr", "best(`a b`)"]


def test_pushdown_of_a_conjunction() -> None:
    q = parse_query(
        "state == 'finished' and 0.01 < config.lr and val/acc > 80% and tags contains 'sweep' "
        "and config.opt in ('adam', 'sgd') and name contains 'bert' and (steps > 5 or steps < 2)"
    )
    push = to_pushdown(q)
    assert push.conditions == (
        PushCondition("field", "state", "==", "finished"),
        PushCondition("config", "lr", ">", 0.01),
        PushCondition("field", "tags", "contains", "sweep"),
        PushCondition("config", "opt", "in", ("adam", "sgd")),
        PushCondition("field", "name", "contains", "bert"),
    )
    assert not push.complete


def test_pushdown_complete_when_everything_is_pushable() -> None:
    push = to_pushdown(parse_query("state == 'finished' and config.lr == 0.1"))
    assert push.complete and len(push.conditions) == 2


@pytest.mark.parametrize(
    "text",
    ["val/acc > 0.5", "state == 'a' or state == 'b'", "not state == 'a'", "config.dropout > 10%", "config.amp"],
)
def test_unpushable_queries(text: str) -> None:
    push = to_pushdown(parse_query(text))
    assert not push and not push.complete
    assert to_mlflow_filter(push) == ""
    assert to_wandb_filters(push) == {}


def test_mlflow_filter() -> None:
    push = to_pushdown(
        parse_query(
            "state == 'finished' and name contains 'bert' and config.optimizer == 'adam' and config.lr > 0.01 "
            "and id == 'abc' and config.warm-up != 'linear' and config.lr == '0.1' and state != 'crashed'"
        )
    )
    assert to_mlflow_filter(push) == (
        "attributes.status = 'FINISHED' AND attributes.run_name LIKE '%bert%' AND params.optimizer = 'adam' "
        "AND attributes.run_id = 'abc' AND params.`warm-up` != 'linear' AND attributes.status != 'FAILED'"
    )


def test_mlflow_skips_what_it_cannot_say_safely() -> None:
    for text in ["state == 'crashed'", "name contains '50%'", 'name == "it\'s"', "config.lr == 0.1", "steps > 3"]:
        assert to_mlflow_filter(to_pushdown(parse_query(text))) == "", text


def test_wandb_filters() -> None:
    push = to_pushdown(
        parse_query(
            "state == 'finished' and config.lr >= 0.01 and config.opt == 'adam' and tags contains 'sweep' "
            "and name contains 'a.b' and id == 'x1' and steps > 1000 and config.bs in (16, 32)"
        )
    )
    assert to_wandb_filters(push) == {
        "$and": [
            {"state": "finished"},
            {"config.lr": {"$gte": 0.01}},
            {"config.opt": "adam"},
            {"tags": {"$in": ["sweep"]}},
            {"display_name": {"$regex": "a\\.b"}},
            {"name": "x1"},
            {"summary_metrics._step": {"$gt": 1000}},
            {"config.bs": {"$in": [16, 32]}},
        ]
    }


def test_wandb_single_term_and_states() -> None:
    assert to_wandb_filters(to_pushdown(parse_query("state == 'crashed'"))) == {
        "state": {"$in": ["crashed", "failed", "killed", "preempted"]}
    }
    assert to_wandb_filters(to_pushdown(parse_query("state != 'running'"))) == {"state": {"$nin": ["running"]}}
    assert to_wandb_filters(to_pushdown(parse_query("state == 'unknown'"))) == {}
    # a numeric-looking string matches numbers locally; the server would not, so it is not pushed
    assert to_wandb_filters(to_pushdown(parse_query("config.lr == '0.1'"))) == {}
