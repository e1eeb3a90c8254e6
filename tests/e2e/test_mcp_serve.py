"""`runwise mcp` wiring: which roots win, flag errors, and the SDK staying out of other commands' start-up."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runwise.config import Settings
from runwise.domain.errors import ConfigError
from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp.serve import server_app


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in ("flag", "env", "dir"):
        out[name] = tmp_path / name
        out[name].mkdir()
    return out


def test_root_flags_win_over_runwise_roots(folders: dict[str, Path], tmp_path: Path) -> None:
    settings = Settings.load(cwd=tmp_path, env={"RUNWISE_ROOTS": str(folders["env"])})
    app, client_roots = server_app(settings, [folders["flag"]])
    assert app.settings.roots == (folders["flag"].resolve(),)
    assert client_roots is False


def test_runwise_roots_apply_without_flags(folders: dict[str, Path], tmp_path: Path) -> None:
    env = {"RUNWISE_ROOTS": os.pathsep.join(str(folders[n]) for n in ("env", "flag"))}
    app, client_roots = server_app(Settings.load(cwd=tmp_path, env=env))
    assert set(app.settings.roots) == {folders["env"].resolve(), folders["flag"].resolve()}
    assert client_roots is False


def test_without_configured_roots_the_client_roots_then_the_dir_apply(folders: dict[str, Path], tmp_path: Path) -> None:
    app, client_roots = server_app(Settings.load(cwd=tmp_path, env={}, dir=folders["dir"]))
    assert client_roots is True
    assert app.settings.roots == (folders["dir"].resolve(),)  # the fallback is a root too: nothing outside it
    assert app.catalog.roots is not None


def test_a_missing_root_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        server_app(Settings.load(cwd=tmp_path, env={}), [tmp_path / "nope"])
    err = subprocess.run(
        [sys.executable, "-m", "runwise", "mcp", "--root", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert err.returncode == 2 and err.stdout == ""
    assert err.stderr.count("\n") == 1 and "does not exist" in err.stderr


def test_mcp_is_a_cli_command() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        main(["mcp", "--help"], stdout=out)
    assert exit_info.value.code == 0


def test_other_commands_do_not_import_the_sdk() -> None:
    code = (
        "import sys; from runwise.entrypoints.cli.main import build_parser; build_parser(); print('mcp' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "False"
