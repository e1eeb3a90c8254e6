"""`runwise mcp` as a real subprocess over stdio: with the SDK's client, and byte by byte on its stdout."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.structured.analysis import HealthOut
from runwise.entrypoints.structured.compare import ComparisonOut
from tests.e2e.logs import TOOL_NAMES, make_logs, make_outside

pytestmark = pytest.mark.anyio
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"
COMMANDS = {
    "runwise mcp": [sys.executable, "-m", "runwise", "mcp"],
    "python -m runwise.entrypoints.mcp": [sys.executable, "-m", "runwise.entrypoints.mcp"],
}


def _cache_env() -> dict[str, str]:
    """The SDK starts servers with a minimal environment (HOME, PATH, ...): hand on the session's cache folder,
    or the server would write parsed runs into the real user cache."""
    return {name: os.environ[name] for name in ("RUNWISE_CACHE_DIR", "XDG_CACHE_HOME") if name in os.environ}


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    make_logs(root)
    make_outside(tmp_path, root)
    return root


async def test_health_check_and_compare_runs_through_a_runwise_mcp_process(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "runwise", "mcp", "--root", str(root)], env=_cache_env()
    )
    tokens = EstimatingTokenCounter()
    cached = Path(os.environ["RUNWISE_CACHE_DIR"])
    before = len(list(cached.glob("runs-v*/*.run")))
    async with Client(params) as client:
        for run, status in [("baseline", "healthy"), ("small-data", "warning"), ("lr-too-high", "critical")]:
            health = await client.call_tool("health_check", {"run": run})
            assert HealthOut.model_validate(health.structured_content).status == status
            assert tokens.count(health.content[0].text) <= 80  # type: ignore[union-attr]
        compared = await client.call_tool("compare_runs", {"runs": ["baseline", "small-data"], "config_diff": True})
        out = ComparisonOut.model_validate(compared.structured_content)
        assert next(k for k in out.keys if k.key == "val/loss").verdicts == [None, "worse"]
        assert out.tokens == tokens.count(compared.content[0].text) <= 500  # type: ignore[union-attr]
        alone = await client.call_tool("compare_runs", {"runs": ["baseline"]})
        assert alone.is_error and "at least 2" in alone.content[0].text  # type: ignore[union-attr]
        outside = await client.call_tool("compare_runs", {"runs": ["baseline", "../../etc/passwd"]})
        assert outside.is_error and "outside the allowed roots" in outside.content[0].text  # type: ignore[union-attr]
    assert len(list(cached.glob("runs-v*/*.run"))) >= before + 3  # the server used the session's cache folder


class RawServer:
    """A server subprocess spoken to in raw JSON-RPC lines; every stdout line is kept for inspection."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNWISE_")}
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.lines: list[bytes] = []
        self._queue: queue.Queue[bytes] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, request_id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, **({"params": params} if params else {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            self.lines.append(line)
            message = json.loads(line)
            if message.get("id") == request_id:
                return message  # type: ignore[no-any-return]
        raise TimeoutError(method)

    def close(self) -> tuple[bytes, bytes]:
        """Close stdin (the client leaves), wait for exit, and return everything written to stdout and stderr."""
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=20)
        self._pump_thread.join(timeout=5)
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return b"".join(self.lines), stderr


def test_stdout_carries_only_protocol_messages(logs: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    server = RawServer([*COMMANDS["runwise mcp"], "-v", "--root", str(logs)], tmp_path)  # -v: log all we can
    try:
        init = server.request(
            1,
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        )
        print(f"spawn to initialize response: {(time.perf_counter() - started) * 1000:.0f} ms")
        assert init["result"]["serverInfo"]["name"] == "runwise"
        assert "list_runs" in init["result"]["instructions"]
        server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert server.request(2, "ping") == {"jsonrpc": "2.0", "id": 2, "result": {}}
        assert len(server.request(3, "tools/list")["result"]["tools"]) == len(TOOL_NAMES)
        calls = [
            ({"name": "summarize_run", "arguments": {"run": "nan-run"}}, False),
            ({"name": "summarize_run", "arguments": {"run": "../../etc/passwd"}}, True),
            ({"name": "get_history", "arguments": {"run": "healthy", "keys": ["nope"]}}, True),
            ({"name": "get_history", "arguments": {"run": "healthy", "samples": "many"}}, True),
            ({"name": "get_stats", "arguments": {"run": "corrupt"}}, True),
            ({"name": "get_stats", "arguments": {"run": "healthy"}}, False),
        ]
        for request_id, (params, is_error) in enumerate(calls, start=10):
            result = server.request(request_id, "tools/call", params)["result"]
            assert result.get("isError", False) is is_error, result
            if is_error:
                assert len(result["content"]) == 1 and "\n" not in result["content"][0]["text"]
        unknown = server.request(30, "no/such/method")
        assert unknown["error"]["code"] == -32601
    finally:
        stdout, stderr = server.close()
    assert server.proc.returncode == 0
    for line in stdout.splitlines():
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0" and ("id" in message or "method" in message)
    assert stderr  # the logs went somewhere, and it was not stdout
