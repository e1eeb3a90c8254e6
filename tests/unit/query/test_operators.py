"""Every operator, precedence, percent handling and the missing-value rules, on a run with known values."""

from __future__ import annotations

import pytest

from runwise.domain.query import RunRow, evaluate, evaluate_value, parse_query, parse_value
from runwise.domain.query.nodes import And, Compare, Not, Or, Truthy
from tests.unit.query.conftest import PERCENT_SCHEMA, make_run


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # comparisons on a metric's last finite value (train/loss ends NaN-free at 0.4; val/acc at 0.8)
        ("val/acc == 0.8", True),
        ("val/acc = 0.8", True),
        ("val/acc != 0.8", False),
        ("val/acc < 0.81", True),
        ("val/acc <= 0.8", True),
        ("val/acc > 0.8", False),
        ("val/acc >= 0.8", True),
        ("train/loss == 0.4", True),
        ("0.5 > train/loss", True),
        # statistics
        ("best(val/acc) == 0.85", True),
        ("best(val/loss) == 0.7", True),
        ("best(train/loss) == 0.4", True),
        ("min(val/acc) == 0.5", True),
        ("max(train/loss) == 2.0", True),
        ("mean(train/loss) == 0.975", True),
        ("first(val/loss) == 1.5", True),
        ("last(val/loss) == 0.9", True),
        ("MAX(train/loss) == 2", True),
        ('best("val/acc") == 0.85', True),
        ("best(`val/acc`) == 0.85", True),
        ("eval-f1.macro == 0.7", True),
        ("`throughput/tokens_per_sec` > 1000", True),
        # run fields
        ('name == "bert-base-lr3e-4"', True),
        ("name contains 'lr3e'", True),
        ('name contains "LR3E"', False),
        ('name not contains "gpt"', True),
        ('state == "finished"', True),
        ('state != "crashed"', True),
        ('state in ("finished", "running")', True),
        ('state not in ("finished", "running")', False),
        ('tags contains "baseline"', True),
        ('tags contains "base"', False),
        ('project == "nlp"', True),
        ('source == "memory"', True),
        ('id == "id-bert-base-lr3e-4"', True),
        ("steps >= 1000", True),
        ("steps > 1_000", False),
        ("runtime == 3600", True),
        ('notes contains "first"', True),
        # config
        ("config.lr == 3e-4", True),
        ("config.lr < 1e-3", True),
        ("config.batch_size in (16, 32, 64)", True),
        ("config.optimizer.name == 'adamw'", True),
        ("config.optimizer.weight_decay > 0", True),
        ("config.optimizer.betas contains 0.9", True),
        ("config.optimizer contains 'betas'", True),
        ("config.trainer.max_steps == 1000", True),
        ("config.amp == true", True),
        ("config.amp", True),
        ("config.amp == 1", False),
        ("config.warmup == 500", True),
        ("config.warmup > 100", True),
        ('config.warmup == "500"', True),
        ("config.flag_text == true", True),
        # logic
        ("val/acc > 0.5 and train/loss < 1", True),
        ("val/acc > 0.5 && train/loss > 1", False),
        ("val/acc > 0.9 or train/loss < 1", True),
        ("val/acc > 0.9 || train/loss > 1", False),
        ("not val/acc > 0.9", True),
        ("! val/acc > 0.5", False),
        ("not not val/acc > 0.5", True),
        ("(val/acc > 0.9 or train/loss < 1) and state == 'finished'", True),
        ("NOT (val/acc > 0.9) AND state == 'finished'", True),
        ("exists(val/acc)", True),
        ("exists(config.lr)", True),
        ("exists(project)", True),
        ("true", True),
        ("false or true", True),
        ("val/acc", True),
        ("-1 < val/acc", True),
        ("val/acc > -0.5", True),
        ("val/acc>-.5", True),
    ],
)
def test_operator(check, expr: str, expected: bool) -> None:
    assert check(expr) is expected


@pytest.mark.parametrize(
    "expr",
    [
        "val/accuracy > 0",
        "val/accuracy != 0",
        "val/accuracy == val/accuracy",
        "config.missing == 1",
        "config.missing != 1",
        "config.optimizer.missing < 1",
        "config.lr.deeper == 1",
        "best(no/such) > 0",
        "exists(no/such)",
        "exists(config.nope)",
        "no/such",
        "config.nan_value == config.nan_value",
        "config.nan_value != 1",
        "config.nan_value < 1",
        "name > 5",
        "name < 5",
        "config.amp > false",
        "tags > 'a'",
        "config.optimizer == 'adamw'",
        "steps contains 1",
    ],
)
def test_missing_or_incomparable_is_false(check, expr: str) -> None:
    assert check(expr) is False


def test_not_of_a_missing_comparison_is_true(check) -> None:
    assert check("not val/accuracy > 0") is True
    assert check("not config.missing == 1") is True


def test_values_of_different_kinds_are_unequal(check) -> None:
    assert check("name != 5") is True
    assert check("config.amp != 'yes'") is True


def test_project_missing_field(check) -> None:
    row = RunRow.of(make_run(project=None))
    assert check("project == 'nlp'", row) is False
    assert check("exists(project)", row) is False


@pytest.mark.parametrize(
    ("expr", "tree"),
    [
        ("a > 1 or b > 1 and c > 1", (Or, [Compare, And])),
        ("a > 1 and b > 1 or c > 1", (Or, [And, Compare])),
        ("not a > 1 and b > 1", (And, [Not, Compare])),
        ("not (a > 1 and b > 1)", (Not, [And])),
        ("a or b and not c", (Or, [Truthy, And])),
        ("(a > 1 or b > 1) and c > 1", (And, [Or, Compare])),
    ],
)
def test_precedence(expr: str, tree: tuple[type, list[type]]) -> None:
    root = parse_query(expr).root
    kind, kids = tree
    assert isinstance(root, kind)
    operands = root.operands if isinstance(root, (And, Or)) else (root.operand,)
    assert [type(op) for op in operands] == kids


def test_precedence_changes_results(check) -> None:
    # `or` binds looser than `and`: true or (false and false) is true; (true or false) and false is false
    assert check("val/acc > 0.5 or val/acc > 0.9 and val/acc > 0.95") is True
    assert check("(val/acc > 0.5 or val/acc > 0.9) and val/acc > 0.95") is False
    assert check("not val/acc > 0.9 and val/acc > 0.95") is False


def test_not_comparison_binds_tighter_than_not() -> None:
    root = parse_query("not val/acc > 0.5").root
    assert isinstance(root, Not) and isinstance(root.operand, Compare)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("val/acc > 80%", False),  # fraction metric: 80% is 0.8, last is 0.8
        ("val/acc >= 80%", True),
        ("best(val/acc) > 80%", True),
        ("val/acc > 79.5%", True),
        ("80% <= val/acc", True),
        ("val/acc in (80%, 90%)", True),
        ("`throughput/tokens_per_sec` > 80%", True),  # not a fraction: 80% is 80
        ("`throughput/tokens_per_sec` < 2000%", True),
        ("config.dropout == 10%", True),  # 0.1 lies in [0, 1]: 10% is 0.1
        ("config.batch_size > 30%", True),  # 32 > 30
        ("config.batch_size > 50%", False),
        ("50% < 60%", True),
        ("no/such > 1%", False),
    ],
)
def test_percent(check, expr: str, expected: bool) -> None:
    assert check(expr) is expected


def test_percent_uses_every_observed_value_not_just_the_last() -> None:
    run = make_run(series={"score": ([0, 1, 2], [20.0, 0.5, 0.6])})  # a 0-100 score that ends small
    row = RunRow.of(run)
    assert evaluate(parse_query("score < 50%"), row) is True  # 0.6 < 50, not 0.6 < 0.5


def test_percent_schema_marks_fraction() -> None:
    run = make_run(series={"eval/score": ([0], [0.0])})
    row = RunRow.of(run, schema=PERCENT_SCHEMA)
    assert evaluate(parse_query("eval/score < 1%"), row) is True


def test_nonfinite_values_are_skipped_by_statistics() -> None:
    run = make_run(series={"train/loss": ([0, 1, 2, 3], [1.0, float("inf"), 0.5, float("nan")])})
    row = RunRow.of(run)
    assert evaluate_value(parse_value("train/loss"), row) == 0.5
    assert evaluate_value(parse_value("max(train/loss)"), row) == 1.0
    assert evaluate_value(parse_value("mean(train/loss)"), row) == 0.75


def test_all_nonfinite_metric_is_missing() -> None:
    row = RunRow.of(make_run(series={"loss": ([0, 1], [float("nan"), float("inf")])}))
    assert evaluate(parse_query("loss > 0 or loss <= 0"), row) is False
    assert evaluate(parse_query("exists(loss)"), row) is False


def test_summary_value_stands_in_for_a_metric_without_series() -> None:
    row = RunRow.of(make_run(series={}, summary={"test/acc": 0.91, "note": "x"}))
    assert evaluate(parse_query("test/acc > 90%"), row) is True
    assert evaluate(parse_query("best(test/acc) == 0.91"), row) is True
    assert evaluate(parse_query("note == 'x'"), row) is False  # only numbers stand in for metrics


def test_flat_dotted_config_key_wins_over_nesting() -> None:
    row = RunRow.of(make_run(config={"model.depth": 12, "model": {"depth": 6}}))
    assert evaluate(parse_query("config.model.depth == 12"), row) is True


def test_wandb_style_config_values_are_unwrapped() -> None:
    row = RunRow.of(make_run(config={"lr": {"value": 0.1, "desc": None}, "opt": {"value": {"name": "adam"}}}))
    assert evaluate(parse_query("config.lr == 0.1"), row) is True
    assert evaluate(parse_query("config.opt.name == 'adam'"), row) is True


def test_numpy_config_values_compare_as_numbers() -> None:
    import numpy as np

    row = RunRow.of(make_run(config={"layers": np.int64(12), "lr": np.float32(0.5), "ok": np.bool_(True)}))
    assert evaluate(parse_query("config.layers == 12 and config.lr == 0.5 and config.ok == true"), row) is True


def test_field_only_query_never_loads_the_run() -> None:
    calls = []

    def load():
        calls.append(1)
        return make_run()

    row = RunRow(make_run().info, load)
    assert evaluate(parse_query("state == 'finished' and tags contains 'bert'"), row) is True
    assert calls == []
    assert evaluate(parse_query("state == 'crashed' and val/acc > 0"), row) is False  # short-circuit
    assert calls == []
    assert evaluate(parse_query("state == 'finished' and val/acc > 0"), row) is True
    assert evaluate(parse_query("config.lr > 0 and val/loss > 0"), row) is True
    assert calls == [1]  # loaded once, then reused
