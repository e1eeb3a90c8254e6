"""Team HTTP needs a key, and Host/Origin checks stay on off loopback (issue 10 points 8 and 11).

The Starlette app is the one `runwise mcp --transport http` serves (the SDK's streamable HTTP app
with its bearer-auth middleware and DNS-rebinding checks), driven in process through its ASGI
interface; the subprocess test shows the refusal a user sees.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from runwise.domain.errors import ConfigError
from runwise.entrypoints.mcp.http_security import StaticTokenVerifier, http_security
from runwise.entrypoints.mcp.serve import http_app
from runwise.entrypoints.mcp.server import build_server
from tests.e2e.logs import app_for

TOKEN = "s3cret-token-for-the-team-0123456789"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _client(tmp_path: Path, host: str, **options: Any) -> Iterator[TestClient]:
    (tmp_path / "logs").mkdir(exist_ok=True)
    (tmp_path / "logs" / "train.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    security = http_security(host, env={"RUNWISE_MCP_TOKEN": TOKEN}, **options)
    server = build_server(app_for(tmp_path / "logs", cwd=tmp_path), **security.server_options(host, 8765))
    with TestClient(http_app(server, host, security), base_url="http://127.0.0.1:8765") as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture
def team(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path, "0.0.0.0", allow_hosts=["runs.example.com"])


def test_off_loopback_without_a_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a bearer token"):
        http_security("0.0.0.0", env={})
    done = subprocess.run(
        [sys.executable, "-m", "runwise", "mcp", "--transport", "http", "--host", "0.0.0.0", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "bearer token" in done.stderr


def test_a_short_token_is_refused(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("short\n")
    with pytest.raises(ConfigError, match="at least 16"):
        http_security("0.0.0.0", token_file=tmp_path / "token", env={})


def test_requests_without_the_right_token_are_unauthorized(team: TestClient) -> None:
    assert team.post("/mcp", json=INIT, headers=HEADERS).status_code == 401
    wrong = {**HEADERS, "Authorization": "Bearer " + TOKEN[:-1] + "x"}
    assert team.post("/mcp", json=INIT, headers=wrong).status_code == 401
    right = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
    assert team.post("/mcp", json=INIT, headers=right).status_code == 200


def test_host_and_origin_checks_stay_on_with_an_allow_list(team: TestClient) -> None:
    auth = {**HEADERS, "Authorization": f"Bearer {TOKEN}"}
    assert team.post("/mcp", json=INIT, headers={**auth, "Host": "evil.example.com"}).status_code in (400, 421)
    assert team.post("/mcp", json=INIT, headers={**auth, "Host": "runs.example.com:8765"}).status_code == 200
    evil_origin = {**auth, "Origin": "http://evil.example.com"}
    assert team.post("/mcp", json=INIT, headers=evil_origin).status_code == 403


def test_loopback_needs_no_token_but_keeps_the_checks(tmp_path: Path) -> None:
    security = http_security("127.0.0.1", env={})
    assert security.token is None and security.server_options("127.0.0.1", 1) == {}
    for client in _client(tmp_path, "127.0.0.1"):
        # with a token in the environment the loopback server asks for it too
        assert client.post("/mcp", json=INIT, headers=HEADERS).status_code == 401
        auth = {**HEADERS, "Authorization": f"Bearer {TOKEN}", "Host": "evil.example.com"}
        assert client.post("/mcp", json=INIT, headers=auth).status_code in (400, 421)


def test_the_verifier_compares_the_whole_secret() -> None:
    import anyio

    verifier = StaticTokenVerifier(TOKEN)
    assert anyio.run(verifier.verify_token, TOKEN) is not None
    for bad in ("", TOKEN[:-1], TOKEN + "x", TOKEN.upper()):
        assert anyio.run(verifier.verify_token, bad) is None
