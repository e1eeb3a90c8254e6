"""A path REF works from anywhere on the CLI; the MCP server keeps its roots (issue 10 point 1)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from runwise.entrypoints.cli import main


@pytest.fixture
def elsewhere(tmp_path: Path) -> tuple[Path, Path]:
    logs = tmp_path / "logs" / "exp"
    logs.mkdir(parents=True)
    (logs / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": 1 / (s + 1)}) + "\n" for s in range(5)))
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    return logs / "metrics.jsonl", unrelated


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--no-color", *argv], stdout=out), out.getvalue()


def test_an_absolute_path_loads_from_an_unrelated_folder(elsewhere: tuple[Path, Path]) -> None:
    log, unrelated = elsewhere
    for ref in (str(log), str(log.parent)):
        code, text = _cli("--dir", str(unrelated), "stats", ref)
        assert code == 0 and "loss" in text


def test_a_source_prefixed_path_with_its_extension_resolves(elsewhere: tuple[Path, Path]) -> None:
    log, _ = elsewhere
    root = log.parent.parent
    code, text = _cli("--dir", str(root), "keys", "jsonl:exp/metrics.jsonl")
    assert code == 0 and "loss" in text


def test_mcp_roots_still_refuse_paths_outside(elsewhere: tuple[Path, Path]) -> None:
    import anyio
    from mcp import Client

    from runwise.entrypoints.mcp.server import build_server
    from tests.e2e.logs import app_for

    log, unrelated = elsewhere

    async def call() -> str:
        async with Client(build_server(app_for(unrelated, cwd=unrelated)), raise_exceptions=True) as client:
            result = await client.call_tool("get_stats", {"run": str(log)})
            assert result.is_error
            return result.content[0].text  # type: ignore[union-attr]

    assert "outside the allowed roots" in anyio.run(call)
