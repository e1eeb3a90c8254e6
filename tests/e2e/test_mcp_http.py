"""`runwise mcp --transport http` in a subprocess on an ephemeral 127.0.0.1 port, with the SDK's HTTP client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult

from runwise.entrypoints.structured.inspect import RunSummaryOut
from tests.e2e.logs import free_port, make_logs, make_outside

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("http")
    root = tmp / "logs"
    make_logs(root)
    make_outside(tmp, root)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWISE_")}
    argv = [sys.executable, "-m", "runwise", "mcp", "--transport", "http", "--port", str(port), "--root", str(root)]
    proc = subprocess.Popen(argv, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stdout = proc.stdout.read() if proc.stdout else b""
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert stdout == b""  # HTTP mode writes nothing to stdout; logs and the address go to stderr


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.stderr.read() if proc.stderr else b''!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


async def test_twenty_concurrent_calls_over_http(server_url: str) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("summarize_run", {"run": "healthy"}),
        ("summarize_run", {"run": "nan-run"}),
        ("list_keys", {"run": "wide"}),
        ("get_stats", {"run": "healthy", "keys": ["train/loss", "val/loss"]}),
        ("get_history", {"run": "healthy", "keys": ["val/loss"], "from_step": 100, "to_step": 900}),
    ] * 4
    results: dict[int, CallToolResult] = {}

    async with Client(server_url) as client:

        async def one(index: int, tool: str, args: dict[str, Any]) -> None:
            results[index] = await client.call_tool(tool, args)

        async with anyio.create_task_group() as tg:
            for index, (tool, args) in enumerate(calls):
                tg.start_soon(one, index, tool, args)
    assert len(results) == 20
    assert [i for i, r in results.items() if r.is_error] == []


async def test_errors_over_http_leave_the_server_serving(server_url: str) -> None:
    async with Client(server_url) as client:
        for args in ({"run": "../../etc/passwd"}, {"run": "corrupt"}, {"run": "missing"}, {"token_budget": 1}):
            result = await client.call_tool("summarize_run", args)
            assert result.is_error and "\n" not in result.content[0].text  # type: ignore[union-attr]
        history = await client.call_tool("get_history", {"run": "healthy", "keys": ["missing/key"]})
        assert history.is_error
    async with Client(server_url) as client:  # a new session still works
        ok = await client.call_tool("summarize_run", {"run": "healthy"})
        assert RunSummaryOut.model_validate(ok.structured_content).run.id == "healthy"
