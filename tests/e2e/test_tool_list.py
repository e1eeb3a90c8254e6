"""The tools/list answer is loaded into every conversation a client has: it stays under 6,000 o200k tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from runwise.adapters.tokens import BpeTokenCounter
from runwise.entrypoints.mcp.server import build_server
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio
TOOL_LIST_BUDGET = 6_000  # o200k tokens, with every tool registered


async def test_the_whole_tool_list_fits_6000_o200k_tokens(tmp_path: Path) -> None:
    async with Client(build_server(app_for(tmp_path, cwd=tmp_path))) as client:
        listed = await client.list_tools()
    wire = listed.model_dump_json(by_alias=True, exclude_none=True)  # what the server writes, byte for byte
    tokens = BpeTokenCounter("o200k_base").count(wire)
    print(f"tools/list: {len(listed.tools)} tools, {tokens} o200k tokens")
    assert tokens <= TOOL_LIST_BUDGET


async def test_lean_schemas_keep_the_constraints(tmp_path: Path) -> None:
    async with Client(build_server(app_for(tmp_path, cwd=tmp_path))) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    history = tools["get_history"].input_schema
    assert history["properties"]["samples"] == {
        "default": 40,
        "description": "Points per key; extremes and NaNs kept.",
        "maximum": 5000,
        "minimum": 2,
        "type": "integer",
    }
    assert history["properties"]["from_step"]["type"] == ["integer", "null"]
    state = tools["list_runs"].input_schema["properties"]["state"]
    assert state["enum"] == ["running", "finished", "crashed", "unknown", None]  # null stays allowed
    assert "title" not in str(tools["summarize_run"].output_schema)
