"""Under MCP the run listing is reused while nothing under the roots changed (issue 10 point 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcp import Client

from runwise.entrypoints.mcp.server import build_server
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio


async def test_tool_calls_discover_once_until_a_folder_or_file_changes(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    (root / "a").mkdir(parents=True)
    (root / "a" / "train.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    old = 1_700_000_000
    os.utime(root / "a" / "train.jsonl", (old, old))  # not running: a finished log is stable
    app = app_for(root, cwd=tmp_path)
    calls: list[str] = []
    for source in app.catalog.sources:
        original = source.list_runs

        def counting(*args: object, _original=original, _name=source.name, **kwargs: object):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _original(*args, **kwargs)

        source.list_runs = counting  # type: ignore[method-assign]
    sources = len(app.catalog.sources)
    async with Client(build_server(app), raise_exceptions=True) as client:
        await client.call_tool("list_runs", {})
        await client.call_tool("get_stats", {"run": "a/train"})
        await client.call_tool("list_keys", {"run": "latest"})
        assert len(calls) == sources  # one discovery for three calls

        with (root / "a" / "train.jsonl").open("a") as log:  # the log grows: same folder, new size
            log.write('{"step": 2, "loss": 0.4}\n')
        listed = await client.call_tool("list_runs", {})
        assert len(calls) == 2 * sources
        assert listed.structured_content["runs"][0]["last_step"] == 2  # type: ignore[index]

        (root / "b.jsonl").write_text('{"step": 1, "loss": 0.5}\n')  # a new run: the folder changes
        listed = await client.call_tool("list_runs", {})
        assert len(calls) == 3 * sources
        assert {r["id"] for r in listed.structured_content["runs"]} == {"a/train", "b"}  # type: ignore[index]


def test_the_cli_lists_afresh_each_time(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    app = app_for(tmp_path, cwd=tmp_path)
    assert app.catalog.discovery_stamp is None
