"""Every CLI command and MCP tool on runs the real training frameworks wrote (see tests/frameworks).

Each case copies the folder a framework wrote (as the framework lays it out: output folders,
checkpoints, version folders) and points Runwise at it with no conversion and no source named.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp.server import build_server
from tests.frameworks import framework_runs

COUNT = EstimatingTokenCounter().count


def _hf(target: Path) -> Path:
    shutil.copytree(framework_runs("hf") / "trained", target)
    return target


def _lightning(target: Path) -> Path:
    shutil.copytree(framework_runs("lightning") / "trained", target)
    return target


def _keras(target: Path) -> Path:
    shutil.copytree(framework_runs("keras") / "trained", target)
    return target


def _ultralytics(target: Path) -> Path:
    shutil.copytree(framework_runs("ultralytics") / "trained", target)
    return target


def _text(target: Path) -> Path:
    shutil.copytree(framework_runs("text") / "trained", target)
    return target


# source name -> (writes the framework's runs under a folder, the loss key it logs)
FRAMEWORKS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "hf": (_hf, "loss"),
    "lightning": (_lightning, "train_loss_step"),
    "keras": (_keras, "loss"),
    "ultralytics": (_ultralytics, "train/box_loss"),
    "text": (_text, "loss"),
}


@pytest.fixture(params=sorted(FRAMEWORKS))
def framework(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, str]:
    write, loss = FRAMEWORKS[request.param]
    return request.param, write(tmp_path / "runs"), loss


def _cli(root: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(root), "--no-color", *argv], stdout=out), out.getvalue()


def _json(root: Path, *argv: str) -> Any:
    code, text = _cli(root, "--format", "json", *argv)
    assert code == 0, (argv, text)
    return json.loads(text)


def test_every_cli_command(framework: tuple[str, Path, str], tmp_path: Path) -> None:
    source, root, loss = framework
    runs = _json(root, "list")["runs"]
    assert len(runs) >= 2 and {r["source"] for r in runs} == {source}
    first, second = runs[0]["id"], runs[1]["id"]
    code, text = _cli(root, "latest")
    assert code == 0 and COUNT(text) <= 400 and loss in text
    keys = [k["key"] for g in _json(root, "keys", first)["groups"] for k in g["keys"]]
    assert loss in keys
    history = _json(root, "history", first, "-k", loss, "--samples", "5")["series"][0]
    assert history["total_points"] >= 2
    assert _json(root, "stats", first, "-k", loss)["stats"][0]["points"] == history["total_points"]
    code, text = _cli(root, "health", first)
    assert code == 0 and COUNT(text) <= 80
    for argv in (
        ("run", f"{source}:{first}"),
        ("run", f"{first}@2"),
        ("anomalies", first),
        ("stability", first, "-k", loss),
        ("config", first),
        ("compare", first, second, "--config-diff"),
        ("compare", first, second),
        ("best", loss, "--min"),
        ("query", f"{loss} > -1"),
        ("aggregate", loss),
        ("init", "--from-run", first, "-o", str(tmp_path / "schema.toml")),
    ):
        code, text = _cli(root, *argv)
        assert code == 0 and text.strip(), (argv, text)


def _arguments(tool: Any, run: str, other: str, loss: str) -> dict[str, Any]:
    """Arguments for a tool from its input schema: every required parameter filled from the run."""
    values = {"run": run, "runs": [run, other], "keys": [loss], "metric": loss, "expr": f"{loss} > -1", "gpu": "A100"}
    properties = tool.input_schema.get("properties", {})
    required = set(tool.input_schema.get("required", []))
    missing = required - set(values)
    assert not missing, f"{tool.name}: no test value for {sorted(missing)}"
    return {k: v for k, v in values.items() if k in properties}


@pytest.mark.anyio
async def test_every_mcp_tool(framework: tuple[str, Path, str], tmp_path: Path) -> None:
    source, root, loss = framework
    app = bootstrap(Settings.load(cwd=tmp_path, env={}, roots=[root]))
    async with Client(build_server(app), raise_exceptions=True) as client:
        listed = await client.call_tool("list_runs", {})
        runs = listed.structured_content["runs"]  # type: ignore[index]
        assert {r["source"] for r in runs} == {source}
        run, other = runs[0]["id"], runs[1]["id"]
        for tool in (await client.list_tools()).tools:
            result = await client.call_tool(tool.name, _arguments(tool, run, other, loss))
            if tool.name == "estimate_cost" and result.is_error:  # logs without clock times have no runtime to price
                assert "records no runtime" in result.content[0].text  # type: ignore[union-attr]
                continue
            assert not result.is_error, (tool.name, result.content)
