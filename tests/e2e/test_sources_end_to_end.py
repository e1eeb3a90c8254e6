"""Every command and MCP tool on runs written by the real trackers (the example TensorBoard and W&B runs)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from mcp import Client

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp.server import build_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SOURCES = {"tensorboard": EXAMPLES / "tensorboard", "wandb": EXAMPLES / "wandb"}
COUNT = EstimatingTokenCounter().count


def _cli(root: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(root), "--no-color", *argv], stdout=out), out.getvalue()


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_cli_commands_on_real_tracker_runs(source: str) -> None:
    root = SOURCES[source]
    code, text = _cli(root, "--format", "json", "list")
    runs = json.loads(text)["runs"]
    assert code == 0 and len(runs) == 1 and runs[0]["source"] == source
    ref = runs[0]["id"]
    code, text = _cli(root, "latest")
    assert code == 0 and COUNT(text) <= 400 and "metric" in text
    code, text = _cli(root, "--format", "json", "keys", ref)
    keys = [k["key"] for g in json.loads(text)["groups"] for k in g["keys"]]
    assert code == 0 and len(keys) >= 3
    loss = next(k for k in keys if "loss" in k.lower())
    code, text = _cli(root, "--format", "json", "history", ref, "-k", loss, "--samples", "20")
    series = json.loads(text)["series"][0]
    assert code == 0 and series["total_points"] > 20 and len(series["steps"]) <= 24
    code, text = _cli(root, "--format", "json", "stats", ref, "-k", loss)
    assert code == 0 and json.loads(text)["stats"][0]["points"] == series["total_points"]
    code, text = _cli(root, "health", ref)
    assert code == 0 and COUNT(text) <= 80


@pytest.mark.anyio
@pytest.mark.parametrize("source", sorted(SOURCES))
async def test_mcp_tools_on_real_tracker_runs(source: str, tmp_path: Path) -> None:
    app = bootstrap(Settings.load(cwd=tmp_path, env={}, roots=[SOURCES[source]]))
    async with Client(build_server(app), raise_exceptions=True) as client:
        listed = await client.call_tool("list_runs", {})
        assert not listed.is_error
        run = listed.structured_content["runs"][0]["id"]  # type: ignore[index]
        summary = await client.call_tool("summarize_run", {"run": run})
        assert not summary.is_error and summary.structured_content["tokens"] <= 400  # type: ignore[index]
        keys = await client.call_tool("list_keys", {"run": run})
        names = [k["key"] for g in keys.structured_content["groups"] for k in g["keys"]]  # type: ignore[index]
        loss = next(k for k in names if "loss" in k.lower())
        for tool, args in (
            ("get_history", {"run": run, "keys": [loss]}),
            ("get_stats", {"run": run, "keys": [loss]}),
            ("get_config", {"run": run}),
            ("health_check", {"run": run}),
            ("detect_anomalies", {"run": run}),
        ):
            result = await client.call_tool(tool, args)
            assert not result.is_error, (tool, result.content)


@pytest.mark.anyio
async def test_ids_with_slashes_resolve_whatever_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Launchers start MCP servers from anywhere: ids from list_runs (and root-relative paths) must still resolve."""
    monkeypatch.chdir(tmp_path)
    app = bootstrap(Settings.load(cwd=tmp_path, env={}, roots=[EXAMPLES]))
    async with Client(build_server(app), raise_exceptions=True) as client:
        for ref in ("jsonl:jsonl/baseline", "jsonl/baseline", "tensorboard/wide-mlp", "jsonl/baseline.jsonl"):
            result = await client.call_tool("health_check", {"run": ref})
            assert not result.is_error, (ref, result.content)
        resource = await client.read_resource("runwise://runs/jsonl%2Fbaseline/summary")
        assert "baseline" in resource.contents[0].text  # type: ignore[union-attr]
        for outside in ("../../etc/passwd", "/etc/passwd", "jsonl:../../../etc/passwd"):
            result = await client.call_tool("health_check", {"run": outside})
            assert result.is_error and "outside the allowed roots" in result.content[0].text  # type: ignore[union-attr]
