"""What a new user sees on the shipped examples: one set of numbers per run, partial views that stay partial,
NaN endings named, aggregates and queries that say when something is off, multi-run views that read well."""

from __future__ import annotations

import json
import re

import pytest

from runwise.adapters.tokens import EstimatingTokenCounter
from tests.e2e.clients import run_cli

TOKENS = EstimatingTokenCounter()


def _text(*argv: str) -> str:
    code, text = run_cli(*argv)
    assert code == 0, text
    return text


def _json(*argv: str) -> dict:
    code, text = run_cli("--format", "json", *argv)
    assert code == 0, text
    return json.loads(text)  # type: ignore[no-any-return]


# 1. one set of numbers --------------------------------------------------------------------------
@pytest.mark.parametrize("ref", ["baseline", "lr-too-high", "small-data", "wide-mlp", "tiny-mlp"])
def test_headline_figures_are_the_tables_or_marked_smoothed(ref: str) -> None:
    data = _json("run", ref)
    last = {m["key"]: m["last"] for m in data["metrics"]}
    for key, end, marked in re.findall(r"(\S+) \S+→(~?[-\d.e+]+)( \(smoothed)?", data["headline"]):
        if end.startswith("~"):
            assert marked, (key, data["headline"])
        elif isinstance(last.get(key), float):
            assert float(end) == pytest.approx(last[key], rel=5e-4), (key, end, last[key])
    sentences = [s for s in re.split(r"(?<=[.!?]) (?=[A-Z])", data["headline"]) if s]
    assert 2 <= len(sentences) <= 3, data["headline"]
    code, text = run_cli("run", ref)
    assert code == 0 and TOKENS.count(text) <= 400


def test_baseline_headline_marks_its_smoothed_end() -> None:
    assert "train/loss 2.477→~0.262 (smoothed, flat lately)" in _json("run", "baseline")["headline"]


def test_divergence_quotes_a_smoothed_best_as_smoothed() -> None:
    messages = [a["message"] for a in _json("anomalies", "lr-too-high")["anomalies"] if a["kind"] == "divergence"]
    assert messages and "rose from its smoothed best 0.4164" in messages[0]


def test_small_data_quotes_one_smoothed_final_train_loss() -> None:
    data = _json("run", "small-data")
    smoothed = set(re.findall(r"train/loss \S+→~(\S+) \(smoothed", data["headline"]))
    smoothed |= set(re.findall(r"kept falling \(smoothed \S+→([^)]+)\)", data["headline"]))
    assert smoothed == {"0.00519"}, data["headline"]


# 2. partial views --------------------------------------------------------------------------------
def test_a_run_at_a_step_is_described_as_of_that_step() -> None:
    data = _json("run", "baseline@500")
    assert data["run"]["state"] == "unknown" and data["run"]["last_step"] == 500
    assert data["run"]["runtime_s"] == pytest.approx(25.0, abs=0.1)  # 0.05 s per step up to step 500
    assert data["headline"].startswith("As of step 500 (the log goes on to step 1,999).")
    text = _text("run", "baseline@500")
    assert "as of step 500 · 25s" in text.splitlines()[0]


# 3. NaN endings ----------------------------------------------------------------------------------
def test_best_and_aggregate_do_not_use_a_stale_value_of_a_nan_ending() -> None:
    code, text = run_cli("best", "val/loss")
    assert code == 0 and "17.6" not in text and "lr-too-high (ends in NaN at step 700)" in text
    code, text = run_cli("aggregate", "val/loss")
    assert code == 0 and "17.6" not in text and "lr-too-high ends in NaN at step 700" in text
    groups = _json("aggregate", "val/loss")["groups"]
    broken = next(g for g in groups if g["runs"] == ["lr-too-high"])
    assert broken["final"] is None and broken["no_final"] == ["lr-too-high ends in NaN at step 700"]


def test_stability_and_trend_name_the_nan_ending() -> None:
    text = _text("stability", "lr-too-high")
    row = next(line for line in text.splitlines() if line.startswith("train/loss"))
    assert "ends in NaN" in row and "noisy" not in row and "1,307 (from 693)" in row
    trends = {m["key"]: m["trend"] for m in _json("run", "lr-too-high")["metrics"]}
    assert trends["train/loss"] == "×" and trends["val/loss"] == "×"


# 4. aggregate ------------------------------------------------------------------------------------
def test_aggregate_unknown_group_by_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli("aggregate", "val/acc", "--group-by", "config.nope")
    err = capsys.readouterr().err
    assert code == 2 and "no run has the config key 'nope'" in err and "train_size" in err


def test_aggregate_interval_of_a_fraction_and_short_labels_printed_once() -> None:
    data = _json("aggregate", "val/acc", "--group-by", "hidden")
    assert data["ci_clipped_to"] == [0.0, 1.0]
    assert all(
        0.0 <= g[part]["ci_low"] <= g[part]["ci_high"] <= 1.0
        for g in data["groups"]
        for part in ("final", "best")
        if g[part] and g[part]["ci_low"] is not None
    )
    text = _text("aggregate", "val/acc")
    labels = [g["label"] for g in _json("aggregate", "val/acc")["groups"]]
    assert all(len(label) < 60 and "=—" not in label for label in labels), labels
    assert all(text.count(label) == 1 for label in labels), text


# 5. query ----------------------------------------------------------------------------------------
def test_query_type_error_hint_and_single_state_column(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli("query", 'val/acc > "abc"')
    assert code == 2 and "column 11" in capsys.readouterr().err
    code, text = run_cli("query", "val/acc > 80")
    assert code == 0 and "val/acc is a fraction (0–1): did you mean 80%?" in text
    text = _text("query", 'best(val/loss) < 0.3 or state == "crashed"')
    assert text.splitlines()[1].split().count("state") == 1


# 6. multi-run views ------------------------------------------------------------------------------
def test_compare_groups_have_headers_and_best_names_the_run() -> None:
    text = _text("compare", "-g", "baseline", "lr-too-high", "small-data")
    lines = text.splitlines()
    assert "[train/]" in lines and "[val/]" in lines
    assert lines.index("[train/]") + 1 == next(i for i, line in enumerate(lines) if line.startswith("train/"))
    val_loss = next(line for line in lines if line.startswith("val/loss"))
    assert val_loss.split()[-1] == "baseline"


def test_compare_group_headers_go_with_their_rows_when_trimmed() -> None:
    text = _text("--budget", "120", "compare", "-g", "baseline", "lr-too-high", "small-data")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("["):
            assert i + 1 < len(lines) and not lines[i + 1].startswith(("[", "+")), text


def test_anomalies_filtered_to_nothing_say_what_was_left_out() -> None:
    text = _text("anomalies", "small-data", "--severity", "critical")
    assert "No anomalies at this severity (1 less severe: drop --severity)." in text
    assert _json("anomalies", "small-data", "--severity", "critical")["less_severe"] == 1


def test_best_without_direction_speaks_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli("best", "lr")
    err = capsys.readouterr().err
    assert code == 2 and "pass --max or --min" in err and "direction=" not in err


def test_non_finite_counts_have_thousands_separators() -> None:
    for argv in (
        ("run", "lr-too-high"),
        ("anomalies", "lr-too-high"),
        ("keys", "lr-too-high"),
        ("stats", "lr-too-high"),
    ):
        text = _text(*argv)
        assert "1307" not in text and "1,307" in text, argv
