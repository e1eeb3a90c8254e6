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
