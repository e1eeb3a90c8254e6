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
    (wire,) = served  # the app is wired on the first tool call
    app = wire()
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


SOURCES = ("jsonl", "tensorboard", "wandb_local", "hf_trainer", "aim", "csv_loggers", "neptune", "mlflow", "text_logs")
DECLARATIONS = ("inspect", "analysis", "compare", "pictures", "share", "watch", "table")


def _imported(argv: list[str], cwd: Path, cache: Path) -> set[str]:
    """The modules a fresh interpreter has imported after running the CLI with `argv` (as the `runwise` script)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, io; from runwise.entrypoints.cli.main import main\n"
        "try: main(sys.argv[1:], stdout=io.StringIO())\n"
        "except SystemExit: pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    env = dict(os.environ, RUNWISE_CACHE_DIR=str(cache), PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def _loaded(modules: set[str], prefix: str) -> bool:
    return any(m == prefix or m.startswith(prefix + ".") for m in modules)


def test_light_commands_do_not_import_the_declaration_table(tmp_path: Path) -> None:
    """`runwise cache info`, `--version` and `--help` parse their own flags only: no pydantic, no declaration (the
    parsed-run store's codec brings numpy to `cache info`)."""
    for argv in (["--dir", ".", "cache", "info"], ["--version"], ["--help"], []):
        modules = _imported(argv, tmp_path, tmp_path / "cache")
        assert not _loaded(modules, "pydantic"), argv
        assert not _loaded(modules, "runwise.entrypoints.capabilities.declaration"), argv
        assert not _loaded(modules, "runwise.entrypoints.mcp"), argv
    bare = _imported(["--help"], tmp_path, tmp_path / "cache")
    assert not _loaded(bare, "numpy") and not _loaded(bare, "attr"), "runwise --help imports the standard library only"


def test_a_cold_summary_imports_only_what_it_needs(tmp_path: Path) -> None:
    """A cold `runwise --dir DIR run latest` over a JSONL log imports the JSONL reader, the declaration of `run` and
    the detectors, and nothing for other commands, other sources or the MCP server: every CLI call paid ~0.2 s for
    them before (bench/bench_speed.py, `python -X importtime`)."""
    write_jsonl(tmp_path / "logs" / "metrics.jsonl", healthy_rows(50))
    for argv in (["--dir", "logs", "run", "latest"], ["--dir", "logs", "--no-cache", "latest"]):
        modules = _imported(argv, tmp_path, tmp_path / "cache")
        assert _loaded(modules, "runwise.adapters.sources.jsonl")
        assert _loaded(modules, "runwise.entrypoints.capabilities.inspect")
        assert _loaded(modules, "runwise.domain.analysis.detectors")
        others = [s for s in SOURCES[1:] if _loaded(modules, f"runwise.adapters.sources.{s}")]
        assert others == [], argv
        declared = [d for d in DECLARATIONS[1:] if _loaded(modules, f"runwise.entrypoints.capabilities.{d}")]
        assert declared == [], argv
        assert not _loaded(modules, "mcp") and not _loaded(modules, "runwise.entrypoints.mcp"), argv
        assert not _loaded(modules, "runwise.domain.watch"), argv  # `watch` only
