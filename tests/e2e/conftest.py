"""Shared e2e fixtures: one MCP client fixture over the three transports (in memory, stdio, streamable HTTP)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from runwise.entrypoints.mcp.server import build_server
from tests.e2e.clients import EXAMPLES
from tests.e2e.logs import app_for, free_port

TRANSPORTS = ["memory", "stdio", "http"]


@pytest.fixture(scope="session")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/jsonl: the three real example runs, in a folder the servers may read."""
    root = tmp_path_factory.mktemp("examples") / "jsonl"
    shutil.copytree(EXAMPLES / "jsonl", root)
    return root


@pytest.fixture(scope="session")
def http_url(example_root: Path) -> Iterator[str]:
    """`runwise mcp --transport http` on a free 127.0.0.1 port, for the whole session."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWISE_")}
    argv = [sys.executable, "-m", "runwise", "mcp", "--transport", "http", "--port", str(port)]
    proc = subprocess.Popen(
        [*argv, "--root", str(example_root)],
        cwd=example_root.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(params=TRANSPORTS)
async def mcp_client(request: pytest.FixtureRequest, example_root: Path, tmp_path: Path) -> AsyncIterator[Client]:
    """The same test body over the SDK's in-memory client, a stdio subprocess and streamable HTTP."""
    if request.param == "memory":
        async with Client(build_server(app_for(example_root, cwd=tmp_path))) as client:
            yield client
    elif request.param == "stdio":
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWISE_")}
        args = ["-m", "runwise.entrypoints.mcp", "--root", str(example_root)]
        params = StdioServerParameters(command=sys.executable, args=args, cwd=str(tmp_path), env=env)
        async with Client(params) as client:
            yield client
    else:
        async with Client(request.getfixturevalue("http_url")) as client:
            yield client
