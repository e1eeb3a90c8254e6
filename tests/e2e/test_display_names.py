"""A schema's display names are what a reader sees; JSON and structured output keep the logged key.

Issue 10 point 4: `display_names` was accepted and changed nothing. The runs are real JSONL logs written
here; the schema file is the one a user writes.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp.server import build_server
from tests.e2e.clients import call_ok, text_of

LOSS, ACC = "Training loss", "Validation accuracy"
SCHEMA = f'[display_names]\n"train/loss" = "{LOSS}"\n"val/acc" = "{ACC}"\n'


def _write(path: Path, *, lr: float, spike_at: int | None) -> None:
    lines = []
    for step in range(200):
        loss = 3.0 * math.exp(-step * lr) + 0.1
        if spike_at is not None and step == spike_at:
            loss *= 40.0  # a one-step spike: an anomaly whose message names the key
        row: dict[str, float | int] = {"step": step, "train/loss": loss}
        if step % 20 == 19:
            row["val/acc"] = 0.5 + 0.4 * (1 - math.exp(-step * lr))
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("display")
    (root / "logs").mkdir()
    _write(root / "logs" / "fast.jsonl", lr=0.05, spike_at=120)
    _write(root / "logs" / "slow.jsonl", lr=0.01, spike_at=None)
    (root / "schema.toml").write_text(SCHEMA)
    return root


def _cli(root: Path, *argv: str) -> str:
    out = io.StringIO()
    code = main(["--dir", str(root / "logs"), "--schema", str(root / "schema.toml"), "--no-color", *argv], stdout=out)
    assert code in (0, 1), out.getvalue()
    return out.getvalue()


def _shows_names(text: str) -> None:
    assert LOSS in text or ACC in text, text
    assert "train/loss" not in text and "val/acc" not in text, text


@pytest.mark.parametrize(
    "argv",
    [
        ("run", "fast"),
        ("--format", "md", "run", "fast"),
        ("anomalies", "fast"),
        ("health", "fast"),
        ("stats", "fast"),
        ("stability", "fast", "-k", "train/loss"),
        ("history", "fast", "-k", "train/loss,val/acc", "--samples", "5"),
        ("history", "fast", "-k", "train/loss", "--samples", "5"),
        ("compare", "fast", "slow"),
        ("--format", "md", "compare", "fast", "slow"),
        ("best", "val/acc"),
        ("plot", "fast", "-k", "train/loss"),
    ],
    ids=lambda a: " ".join(a),
)
def test_text_and_markdown_show_display_names(logs: Path, argv: tuple[str, ...]) -> None:
    _shows_names(_cli(logs, *argv))


def test_query_columns_show_names_and_the_query_as_typed(logs: Path) -> None:
    echo, *rows = _cli(logs, "query", "val/acc > 0.5").splitlines()
    assert echo.startswith("query 'val/acc > 0.5'")  # the user's own expression, as they typed it
    _shows_names("\n".join(rows))


def test_keys_shows_both_the_logged_key_and_its_name(logs: Path) -> None:
    out = _cli(logs, "keys", "fast")
    assert "loss [Training loss]" in out and "acc [Validation accuracy]" in out


def test_reports_label_metrics_and_charts_by_name(logs: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    _cli(logs, "--format", "md", "report", "fast", "-o", str(target))
    text = target.read_text()
    assert f"`{LOSS}`" in text and "`train/loss`" not in text
    pytest.importorskip("jinja2")
    page = tmp_path / "report.html"
    _cli(logs, "report", "fast", "-o", str(page))
    html = page.read_text()
    assert f"<figcaption>{LOSS}" in html and f'<td class="mono">{LOSS}</td>' in html


def test_json_keeps_the_logged_keys(logs: Path) -> None:
    summary = json.loads(_cli(logs, "--format", "json", "run", "fast"))
    assert {m["key"] for m in summary["metrics"]} >= {"train/loss", "val/acc"}
    assert all(a["metric"] == "train/loss" for a in summary["anomalies"] if a["kind"] == "loss_spike")
    stats = json.loads(_cli(logs, "--format", "json", "stats", "fast"))
    assert {row["key"] for row in stats["stats"]} == {"train/loss", "val/acc"}
    assert LOSS not in json.dumps(stats)


@pytest.fixture
async def client(logs: Path) -> AsyncIterator[Client]:
    settings = Settings.load(cwd=logs, env={}, roots=[logs / "logs"], schema_file=logs / "schema.toml")
    async with Client(build_server(bootstrap(settings)), raise_exceptions=True) as c:
        yield c


@pytest.mark.anyio
async def test_mcp_text_shows_names_and_structured_content_keeps_keys(client: Client) -> None:
    result = await call_ok(client, "summarize_run", {"run": "fast"})
    _shows_names(text_of(result))
    structured = result.structured_content
    assert structured is not None
    assert {m["key"] for m in structured["metrics"]} >= {"train/loss", "val/acc"}
    assert LOSS not in json.dumps(structured)
    for tool, args in [
        ("detect_anomalies", {"run": "fast"}),
        ("get_stats", {"run": "fast"}),
        ("get_history", {"run": "fast", "keys": ["train/loss"], "samples": 5}),
        ("compare_runs", {"runs": ["fast", "slow"]}),
        ("find_best_run", {"metric": "val/acc"}),
    ]:
        _shows_names(text_of(await call_ok(client, tool, args)))
