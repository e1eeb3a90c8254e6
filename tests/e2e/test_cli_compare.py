"""compare / best / query / aggregate through the CLI on the example runs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(EXAMPLES), "--no-color", *argv], stdout=out), out.getvalue()


def test_two_run_comparison_fits_500_tokens_and_is_direction_aware() -> None:
    code, text = _cli("compare", "baseline", "small-data", "--config-diff")
    assert code == 0 and EstimatingTokenCounter().count(text) <= 500
    lines = {line.split()[0]: line for line in text.splitlines()[1:] if line.strip()}
    assert lines["val/loss"].endswith("worse") and lines["train/loss"].endswith("better")
    assert "train_size: 2000 | 96" in text and "_timestamp" not in text


def test_compare_at_steps_reports_the_steps_used() -> None:
    code, text = _cli("--format", "json", "compare", "baseline@1000", "lr-too-high@1010", "-f", "val/*")
    data = json.loads(text)
    assert code == 0 and data["requested_steps"] == [1000, 1010]
    val = next(k for k in data["keys"] if k["key"] == "val/loss")
    assert val["values"][0]["step"] == 1000 and val["values"][0]["exact"] is True
    assert val["values"][1]["step"] == 1000 and val["values"][1]["exact"] is False  # nearest logged at or before
    assert {k["key"] for k in data["keys"]} == {"val/loss", "val/acc"}


def test_threshold_keeps_big_differences_only() -> None:
    code, text = _cli("--format", "json", "compare", "baseline", "small-data", "-t", "50")
    keys = {k["key"]: k for k in json.loads(text)["keys"]}
    assert code == 0 and "val/acc" not in keys and "val/loss" in keys


def test_best_infers_direction_from_the_role() -> None:
    code, text = _cli("--format", "json", "best", "val/loss")
    data = json.loads(text)
    assert code == 0 and data["higher_is_better"] is False and data["best"]["run"]["name"] == "baseline"
    code, text = _cli("--format", "json", "best", "val/acc", "--max", "--where", "config.train_size < 1000")
    assert json.loads(text)["best"]["run"]["name"] == "small-data"


def test_query_percent_and_sort() -> None:
    code, text = _cli(
        "--format", "json", "query", "val/acc >= 82% and not state == 'crashed'", "--sort", "val/acc desc"
    )
    data = json.loads(text)
    assert code == 0 and [m["run"]["name"] for m in data["matches"]] == ["baseline", "small-data"]


def test_query_errors_point_at_the_position(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _cli("query", "val/acc > > 3")
    err = capsys.readouterr().err
    assert code == 2 and "column" in err and "^" in err and "Traceback" not in err


@pytest.mark.parametrize("expr", ["__import__('os')", "config.__class__", "(" * 200 + "1", "x > 1" + "0" * 500])
def test_hostile_queries_are_rejected_cleanly(expr: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _cli("query", expr)
    assert code == 2 and "Traceback" not in capsys.readouterr().err


def test_aggregate_groups_by_config() -> None:
    code, text = _cli("--format", "json", "aggregate", "val/acc", "--group-by", "config.train_size")
    data = json.loads(text)
    assert code == 0 and data["group_by"] == "train_size"
    assert sorted(g["final"]["n"] for g in data["groups"]) == [1, 2]
