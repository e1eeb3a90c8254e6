"""health_check, detect_anomalies, analyze_stability and generate_schema through the in-memory Client.

The runs are the example logs from a real training loop: baseline is healthy, small-data overfits,
lr-too-high diverges to NaN.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import tomllib
from mcp import Client

from runwise.adapters.renderers.tabular import MarkdownRenderer
from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.domain.analysis import THRESHOLD_DEFAULTS, Analysis, Health
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import RunInfo
from runwise.entrypoints.capabilities.wording import TOOL_WORDING
from runwise.entrypoints.mcp.server import build_server
from runwise.entrypoints.structured.analysis import AnomaliesOut, HealthOut, SchemaDraftOut, StabilityOut
from runwise.services.fitting import fit_answer
from tests.e2e.clients import call_error, call_ok, text_of
from tests.e2e.logs import app_for, make_outside

pytestmark = pytest.mark.anyio
TOKENS = EstimatingTokenCounter()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    shutil.copytree(EXAMPLES, root)
    make_outside(tmp_path, root)
    return root


@pytest.fixture
async def client(logs: Path, tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(build_server(app_for(logs, cwd=tmp_path)), raise_exceptions=True) as c:
        yield c


# health_check ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("run", "status", "fact"),
    [
        ("baseline", "healthy", "No problems found"),
        ("small-data", "warning", "val/loss best 0.4844 at step 150"),
        ("lr-too-high", "critical", "NaN in train/loss from step 693"),
    ],
)
async def test_health_check_in_80_tokens(client: Client, run: str, status: str, fact: str) -> None:
    result = await call_ok(client, "health_check", {"run": run})
    out = HealthOut.model_validate(result.structured_content)
    assert (out.run, out.name, out.status) == (f"jsonl:{run}", run, status)
    text = text_of(result)
    assert text.startswith(f"{run} · {status}: ") and fact in text and fact in out.finding
    assert TOKENS.count(text) <= 80


async def test_health_check_of_latest_by_default(client: Client) -> None:
    out = HealthOut.model_validate((await call_ok(client, "health_check", {})).structured_content)
    assert out.name in {"baseline", "small-data", "lr-too-high"}


async def test_health_check_as_of_a_step(client: Client) -> None:
    early = HealthOut.model_validate(
        (await call_ok(client, "health_check", {"run": "lr-too-high@150"})).structured_content
    )
    assert (early.status, early.last_step) == ("healthy", 150)
    later = await call_ok(client, "health_check", {"run": "lr-too-high@400"})
    assert HealthOut.model_validate(later.structured_content).status == "critical"
    assert "diverged from step 217" in text_of(later) and "NaN" not in text_of(later)


def test_a_long_finding_loses_whole_clauses_to_fit_80_tokens() -> None:
    info = RunInfo(id="x", name="a-very-long-run-name-" * 3, source="jsonl", state="running", last_step=9)
    clauses = [f"clause {i} about train/loss at step {i * 1000:,} with value {i / 7:.4f}" for i in range(8)]
    renderer = MarkdownRenderer(wording=TOOL_WORDING)
    text = fit_answer(renderer.health_sections(info, Health("critical", "; ".join(clauses))), TOKENS, 80).text
    assert TOKENS.count(text) <= 80
    assert clauses[0] in text and clauses[-1] not in text and text.endswith("(more: detect_anomalies)")


# detect_anomalies --------------------------------------------------------------------------------
async def test_anomalies_of_a_diverging_run(client: Client) -> None:
    result = await call_ok(client, "detect_anomalies", {"run": "lr-too-high"})
    out = AnomaliesOut.model_validate(result.structured_content)
    assert out.status == "critical" and out.run.id == "lr-too-high"
    assert {"nan_inf", "divergence", "gradient_explosion", "lr_issue"} <= {a.kind for a in out.anomalies}
    nan = next(a for a in out.anomalies if a.kind == "nan_inf" and a.metric == "train/loss")
    assert (nan.start_step, nan.end_step, nan.severity) == (693, 1999, "critical")
    assert out.lr is not None and out.lr.shape.startswith("warmup") and out.recommendations
    text = text_of(result)
    assert TOKENS.count(text) <= 600
    assert f"Anomalies ({len(out.anomalies)}):" in text and "critical nan_inf @693–1,999" in text and "Next:" in text


async def test_anomalies_of_an_overfitting_and_a_healthy_run(client: Client) -> None:
    small = AnomaliesOut.model_validate(
        (await call_ok(client, "detect_anomalies", {"run": "small-data"})).structured_content
    )
    assert small.status == "warning"
    assert [(a.kind, a.metric, a.severity) for a in small.anomalies] == [("overfitting", "val/loss", "warning")]
    healthy = await call_ok(client, "detect_anomalies", {"run": "baseline"})
    assert AnomaliesOut.model_validate(healthy.structured_content).anomalies == []
    assert "No anomalies." in text_of(healthy)


async def test_severity_keeps_that_severity_or_worse(client: Client) -> None:
    result = await call_ok(client, "detect_anomalies", {"run": "small-data", "severity": "critical"})
    out = AnomaliesOut.model_validate(result.structured_content)
    assert out.anomalies == [] and out.status == "warning"  # the run's health does not change with the filter
    assert out.less_severe == 1 and "No anomalies at this severity (1 less severe: drop severity)." in text_of(result)
    warnings = await call_ok(client, "detect_anomalies", {"run": "small-data", "severity": "warning"})
    assert len(AnomaliesOut.model_validate(warnings.structured_content).anomalies) == 1


async def test_a_small_budget_drops_trailing_anomalies_first_and_keeps_the_health_line(client: Client) -> None:
    result = await call_ok(client, "detect_anomalies", {"run": "lr-too-high", "token_budget": 250})
    out = AnomaliesOut.model_validate(result.structured_content)
    n = out.total
    assert n >= 5 and len(out.anomalies) == 1  # the structured output holds what the text shows
    lines = text_of(result).split("\n")
    assert TOKENS.count(text_of(result)) <= 250
    assert lines[0].startswith("**lr-too-high**") and lines[1].startswith("critical: NaN in train/loss")
    assert lines[2] == f"Anomalies ({n}):" and lines[3].startswith(f"- critical {out.anomalies[0].kind} @")
    assert lines[4].startswith(f"+{n - 1} more anomalies: raise token_budget")
    tiny = text_of(await call_ok(client, "detect_anomalies", {"run": "lr-too-high", "token_budget": 150}))
    assert TOKENS.count(tiny) <= 150
    assert "critical: NaN in train/loss" in tiny and f"(all {n} anomalies left out to fit: raise token_budget" in tiny


def test_mixed_severities_suggest_the_severity_filter_when_cut() -> None:
    info = RunInfo(id="mixed", name="mixed", source="jsonl", state="finished", last_step=5000)
    anomalies = tuple(
        Anomaly("loss_spike", "train/loss", i * 100, i * 100 + 5, i * 100 + 2, severity, f"spike number {i} " * 6)
        for i, severity in enumerate(["critical", "critical"] + ["warning"] * 10 + ["info"] * 10)
    )
    analysis = Analysis(anomalies, Health("critical", "train/loss spiked"), "", ("Lower the lr.",))
    renderer = MarkdownRenderer(wording=TOOL_WORDING)
    text = fit_answer(renderer.anomalies_sections(info, analysis, None), TOKENS, 300).text
    assert TOKENS.count(text) <= 300
    assert "critical: train/loss spiked" in text and "Anomalies (22):" in text and "- critical loss_spike @0–5" in text
    assert "more anomalies: raise token_budget, or pass severity='critical' for the worst only" in text
    assert "Next:\n- Lower the lr." in text  # recommendations outrank the trailing info-level anomalies


async def test_anomalies_as_of_a_step(client: Client) -> None:
    result = await call_ok(client, "detect_anomalies", {"run": "lr-too-high@400"})
    out = AnomaliesOut.model_validate(result.structured_content)
    assert out.run.last_step == 400 and "nan_inf" not in {a.kind for a in out.anomalies}
    assert "as of step 400" in text_of(result)


# analyze_stability -------------------------------------------------------------------------------
async def test_stability_of_the_key_metrics(client: Client) -> None:
    result = await call_ok(client, "analyze_stability", {"run": "baseline"})
    out = StabilityOut.model_validate(result.structured_content)
    by_key = {k.key: k for k in out.keys}
    assert {"train/loss", "val/loss"} <= set(by_key)
    assert by_key["val/loss"].verdict == "stable" and by_key["train/loss"].verdict in {"noisy", "erratic"}
    assert all(k.nonfinite == 0 for k in out.keys)
    assert TOKENS.count(text_of(result)) <= 400 and "| val/loss | stable |" in text_of(result)


async def test_stability_of_named_keys_and_window(client: Client) -> None:
    args = {"run": "lr-too-high", "keys": ["train/loss", "train/loss", "grad_norm"], "window": 10}
    out = StabilityOut.model_validate((await call_ok(client, "analyze_stability", args)).structured_content)
    assert [(k.key, k.window) for k in out.keys] == [("train/loss", 10), ("grad_norm", 10)]
    assert out.keys[0].nonfinite == 1307


async def test_stability_table_is_cut_to_the_budget(client: Client) -> None:
    keys = ["train/loss", "train/acc", "val/loss", "val/acc", "lr", "grad_norm"]
    text = text_of(await call_ok(client, "analyze_stability", {"run": "baseline", "keys": keys, "token_budget": 120}))
    assert TOKENS.count(text) <= 120 and "more keys: name fewer keys, or raise token_budget" in text


# generate_schema ---------------------------------------------------------------------------------
async def test_generate_schema_returns_toml_and_writes_nothing(client: Client, tmp_path: Path) -> None:
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = await call_ok(client, "generate_schema", {"run": "baseline"})
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    out = SchemaDraftOut.model_validate(result.structured_content)
    assert out.run == "baseline" and text_of(result) == out.toml
    parsed = tomllib.loads(out.toml)["schema"]
    assert parsed == out.schema_
    assert parsed["loss"] == ["train/loss", "val/loss"] and parsed["higher_is_better"] == ["train/acc", "val/acc"]
    assert parsed["lr"] == ["lr"] and parsed["groups"] == {"train": ["train/*"], "val": ["val/*"]}
    assert parsed["thresholds"] == {name: default for name, (default, _) in THRESHOLD_DEFAULTS.items()}
    assert result.structured_content is not None and "schema" in result.structured_content


# errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("health_check", {"run": "no-such-run"}, "no run matches 'no-such-run' — list runs with list_runs"),
        ("detect_anomalies", {"run": "nope"}, "no run matches 'nope'"),
        (
            "analyze_stability",
            {"run": "baseline", "keys": ["val/los"]},
            "has no metric 'val/los' — list keys with list_keys",
        ),
        ("generate_schema", {"run": "missing"}, "no run matches 'missing'"),
        ("health_check", {"run": "/etc/passwd"}, "outside the allowed roots"),
        ("detect_anomalies", {"run": "LINK"}, "outside the allowed roots"),
        ("analyze_stability", {"run": "../outside/secret.jsonl"}, "outside the allowed roots"),
        ("generate_schema", {"run": "LINK"}, "outside the allowed roots"),
        ("detect_anomalies", {"run": "baseline", "severity": "fatal"}, "Invalid argument 'severity'"),
        ("detect_anomalies", {"run": "baseline", "token_budget": 10}, "Invalid argument 'token_budget'"),
        ("analyze_stability", {"run": "baseline", "window": 1}, "Invalid argument 'window'"),
        ("analyze_stability", {"run": "baseline", "keys": []}, "Invalid argument 'keys'"),
    ],
)
async def test_bad_calls_are_one_line_tool_errors(
    client: Client, logs: Path, tool: str, args: dict[str, Any], expected: str
) -> None:
    args = {k: v.replace("LINK", str(logs / "link.jsonl")) if isinstance(v, str) else v for k, v in args.items()}
    assert expected in await call_error(client, tool, args)
    assert HealthOut.model_validate((await call_ok(client, "health_check", {"run": "baseline"})).structured_content)
