"""Every error path an MCP client can reach answers in one line, in tool words: never a CLI flag or command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from runwise.entrypoints.mcp.server import build_server
from tests.e2e.clients import assert_no_cli_words, call_error
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio

ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("summarize_run", {"run": "nope"}, "list runs with list_runs"),
    ("summarize_run", {"run": "../../etc/passwd"}, "outside the allowed roots"),
    ("summarize_run", {"run": "jsonl:nope"}, "no run matches"),
    ("list_runs", {"source": "nope"}, "no source named 'nope'"),
    ("list_keys", {"run": "baseline", "prefix": "zzz/"}, 'list_keys(run="baseline") without prefix lists every key'),
    ("get_history", {"keys": ["nope"]}, "list keys with list_keys"),
    ("get_history", {"keys": ["val/loss"], "from_step": 9, "to_step": 1}, "from_step=9 is after to_step=1"),
    ("get_history", {"keys": ["val/loss"], "start": 1, "stop": 2}, "Unknown arguments 'start', 'stop'"),
    ("get_stats", {"run": "baseline", "keys": ["val/los"]}, "did you mean val/loss"),
    ("analyze_stability", {"run": "baseline", "keys": ["nope"]}, "list keys with list_keys"),
    ("compare_runs", {"runs": ["baseline", "nope"]}, "list runs with list_runs"),
    ("find_best_run", {"metric": "lr"}, "pass direction='max' or direction='min'"),
    ("find_best_run", {"metric": "val/loss", "where": "config.lr > 100"}, "loosen where"),
    ("find_best_run", {"metric": "val/los"}, "did you mean"),
    ("query_runs", {"expr": "val/loss <"}, "query error at column"),
    ("query_runs", {"expr": "val/loss < 1", "sort": "val/loss <"}, "in sort:"),
    ("aggregate_runs", {"metric": "nope"}, "list keys with list_keys"),
    ("generate_schema", {"run": "nope"}, "list runs with list_runs"),
    ("get_config", {"run": "baseline", "token_budget": 1}, "Invalid argument 'token_budget'"),
    ("detect_anomalies", {"severity": "huge"}, "Invalid argument 'severity'"),
]


@pytest.fixture
async def client(example_root: Path, tmp_path: Path) -> Client:
    async with Client(build_server(app_for(example_root, cwd=tmp_path))) as c:
        yield c  # type: ignore[misc]


@pytest.mark.parametrize(("tool", "args", "expected"), ERRORS, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(ERRORS)])
async def test_error_paths_speak_tool_words(client: Client, tool: str, args: dict[str, Any], expected: str) -> None:
    message = await call_error(client, tool, args)  # one line, no traceback, no CLI spelling
    assert expected in message


async def test_no_runs_at_all_points_at_the_servers_roots(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    async with Client(build_server(app_for(tmp_path / "empty", cwd=tmp_path))) as c:
        message = await call_error(c, "summarize_run", {})
        assert "ask the user to add a root that holds the training logs" in message
        listed = await c.call_tool("list_runs", {})
        assert_no_cli_words(listed.content[0].text)  # type: ignore[union-attr]
        with pytest.raises(MCPError) as missing:  # resources speak tool words too
            await c.read_resource("runwise://runs/nope/summary")
        assert "ask the user to add a root" in str(missing.value)
        assert_no_cli_words(str(missing.value))
