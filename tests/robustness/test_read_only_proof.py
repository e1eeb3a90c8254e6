"""Runwise never writes where the logs are: every file under the log folders hashed before and after
every CLI command and a whole MCP session over them (nothing created, changed, removed or locked).

The log folder holds real runs from every contract seeder that can write here (json, tensorboardX,
wandb offline, transformers, aim ...). The parsed-run cache goes to its own folder outside the logs.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli.main import build_parser, main
from runwise.entrypoints.mcp.server import build_server


def _snapshot(root: Path) -> dict[str, tuple[str, int, int, int]]:
    """Every path under root: kind, size, mtime and content hash (folders too: a new lock file shows)."""
    out: dict[str, tuple[str, int, int, int]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            digest = ""
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            out[str(path.relative_to(root))] = (digest, st.st_size, st.st_mtime_ns, st.st_mode)
    return out


@pytest.fixture(scope="module")
def logs(seeded_logs: Path) -> Path:
    return seeded_logs  # shared with the fuzz suite, which only ever damages copies


def _argvs(run_ids: list[str], key: str, outside: Path) -> list[list[str]]:
    a, b = run_ids[0], run_ids[-1]
    return [
        ["list"],
        ["latest"],
        ["run", a],
        ["keys", a],
        ["history", a, "-k", key],
        ["stats", a],
        ["config", a],
        ["anomalies", a],
        ["stability", a],
        ["health", a],
        ["compare", a, b],
        ["best", key],
        ["query", f"{key} < 100"],
        ["aggregate", key],
        ["init", "--from-run", a, "-o", str(outside / "schema.toml"), "--force"],
        ["report", a, "-o", str(outside / "report.html")],
        ["plot", a, "-k", key],
        ["cache", "info"],
        ["watch", a, "--for", "0.5", "--poll", "0.1"],
        ["cost", a, "--gpu", "A100"],
        ["notify", "slack", a],  # no webhook set: a one-line error, nothing sent
        ["github", "comment", a, "--pr", "1", "--repo", "acme/trainer"],  # no token: refused before any request
    ]


def test_no_cli_command_and_no_mcp_tool_writes_into_the_logs(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWISE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("RUNWISE_SLACK_WEBHOOK", raising=False)
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "out"
    outside.mkdir()
    before = _snapshot(logs)
    app = bootstrap(Settings.load(cwd=tmp_path, dir=str(logs)))
    runs = app.catalog.list_runs()
    assert len(runs) >= 2
    run_ids = [info.qualified_id for _, info in runs]
    key = "train/loss"

    argvs = _argvs(run_ids, key, outside)
    _, handlers = build_parser()
    covered = {argv[0] for argv in argvs} | {"mcp"}  # mcp: the session below
    assert covered >= set(handlers), f"commands not exercised: {set(handlers) - covered}"
    for argv in argvs:
        for fmt in ("text", "json"):
            code = main(["--dir", str(logs), "--format", fmt, *argv], stdout=io.StringIO())
            assert code in (0, 1, 2), argv
        assert _snapshot(logs) == before, f"`runwise {' '.join(argv)}` changed the log folder"

    import anyio

    anyio.run(_mcp_session, logs, tmp_path, run_ids, key)
    assert _snapshot(logs) == before, "the MCP session changed the log folder"


async def _mcp_session(logs: Path, cwd: Path, run_ids: list[str], key: str) -> None:
    app = bootstrap(Settings.load(cwd=cwd, roots=[logs]))
    arguments: dict[str, Any] = {
        "run": run_ids[0],
        "runs": run_ids[:2],
        "keys": [key],
        "key": key,
        "metric": key,
        "query": f"{key} < 100",
        "expression": f"{key} < 100",
    }
    async with Client(build_server(app), raise_exceptions=True) as client:
        for tool in (await client.list_tools()).tools:
            required = tool.input_schema.get("required", [])
            args = {name: arguments[name] for name in required if name in arguments}
            for name in ("run", "runs", "keys"):
                if name in tool.input_schema.get("properties", {}) and name not in args:
                    args[name] = arguments[name]
            await client.call_tool(tool.name, args)  # errors are fine; writes are not
        for resource in (await client.list_resources()).resources:
            await client.read_resource(resource.uri)
