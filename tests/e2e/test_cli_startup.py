"""Commands that do not read runs do not wire an app for the working folder: `runwise mcp --root DIR` keeps its
parsed-run cache even when the cache folder lies under the folder it was started from (it is not under DIR)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp import serve as serving
from tests.e2e.logs import healthy_rows, write_jsonl


def test_mcp_with_roots_keeps_the_cache_under_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "data" / "runs"
    write_jsonl(root / "metrics.jsonl", healthy_rows(50))
    monkeypatch.setenv("RUNWISE_CACHE_DIR", str(tmp_path / "data" / "cache"))
    monkeypatch.chdir(tmp_path)  # the cache is under the working folder, not under the root served
    served: list[Any] = []
    monkeypatch.setattr(serving, "serve", lambda app, **options: served.append(app) or 0)
    assert main(["mcp", "--root", str(root)], stdout=io.StringIO()) == 0
    (app,) = served
    assert app.catalog.stored is not None
    assert "inside a log folder" not in capsys.readouterr().err


def test_cache_info_does_not_wire_an_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNWISE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    import runwise.bootstrap

    monkeypatch.setattr(runwise.bootstrap, "bootstrap", lambda *a, **k: pytest.fail("wired an app"))
    out = io.StringIO()
    assert main(["cache", "info"], stdout=out) == 0
    assert str(tmp_path / "cache") in out.getvalue() and not capsys.readouterr().err


def test_light_commands_do_not_import_the_declaration_table(tmp_path: Path) -> None:
    """`runwise cache info` and `runwise --version` parse their own flags only: no pydantic, no declaration table
    (the parsed-run store's codec brings numpy to `cache info`)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, io; from runwise.entrypoints.cli.main import main\n"
        "for argv in (['--dir', '.', 'cache', 'info'], ['--version']):\n"
        "    try: main(argv, stdout=io.StringIO())\n"
        "    except SystemExit: pass\n"
        "print(sorted(m for m in ('pydantic', 'runwise.entrypoints.capabilities') if m in sys.modules))\n"
    )
    env = dict(os.environ, RUNWISE_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
