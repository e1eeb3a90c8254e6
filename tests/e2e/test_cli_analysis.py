"""anomalies / stability / health through the CLI on the example runs (trained for real)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"
COUNT = EstimatingTokenCounter().count


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(EXAMPLES), "--no-color", *argv], stdout=out), out.getvalue()


@pytest.mark.parametrize(
    ("run", "status"), [("baseline", "healthy"), ("small-data", "warning"), ("lr-too-high", "critical")]
)
@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_health_is_right_and_within_80_tokens(run: str, status: str, fmt: str) -> None:
    code, text = _cli("--format", fmt, "health", run)
    assert code == 0
    if fmt == "json":  # the budget is the rendered line's; JSON adds field names around the same finding
        assert json.loads(text)["status"] == status
    else:
        assert f"{status}:" in text and COUNT(text) <= 80


def test_strict_health_exits_1_on_critical_only() -> None:
    assert _cli("health", "lr-too-high", "--strict")[0] == 1
    assert _cli("health", "small-data", "--strict")[0] == 0


def test_anomalies_lists_kinds_with_onsets() -> None:
    code, text = _cli("--format", "json", "anomalies", "lr-too-high")
    data = json.loads(text)
    kinds = {a["kind"] for a in data["anomalies"]}
    assert code == 0 and {"nan_inf", "divergence", "gradient_explosion"} <= kinds
    nan = next(a for a in data["anomalies"] if a["kind"] == "nan_inf" and a["metric"] == "train/loss")
    loss = [json.loads(line) for line in (EXAMPLES / "lr-too-high.jsonl").read_text().splitlines()[1:]]
    first_nan = next(r["step"] for r in loss if r["train/loss"] != r["train/loss"])
    assert nan["start_step"] == first_nan
    assert data["recommendations"] and data["lr"]["shape"].startswith("warmup")


def test_severity_filter() -> None:
    code, text = _cli("--format", "json", "anomalies", "lr-too-high", "--severity", "critical")
    assert code == 0 and all(a["severity"] == "critical" for a in json.loads(text)["anomalies"])


def test_healthy_run_has_no_warnings() -> None:
    code, text = _cli("--format", "json", "anomalies", "baseline")
    assert code == 0 and not [a for a in json.loads(text)["anomalies"] if a["severity"] != "info"]


def test_stability_default_keys_and_explicit_window() -> None:
    code, text = _cli("--format", "json", "stability", "baseline", "-k", "train/loss", "--window", "50")
    data = json.loads(text)["keys"][0]
    assert code == 0 and data["key"] == "train/loss" and data["window"] == 50 and data["cv"] > 0
    code, text = _cli("stability", "baseline")
    assert code == 0 and "train/loss" in text and "val/loss" in text


def test_summary_shows_the_analysis_within_budget() -> None:
    code, text = _cli("run", "lr-too-high")
    assert code == 0 and COUNT(text) <= 400
    assert "Anomalies" in text and "train/loss" in text and "step 693" in text
