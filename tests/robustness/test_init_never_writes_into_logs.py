"""`runwise init` never writes where the logs are, whatever the source (issue 10 point 10)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from runwise.entrypoints.cli import main

LOG = '{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n'


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    (root / "train").mkdir(parents=True)
    (root / "train" / "train.jsonl").write_text(LOG)
    return root


def _init(root: Path, *argv: str, cwd: Path | None = None) -> int:
    here = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return main(["--dir", str(root), "init", "--from-run", "train", *argv], stdout=io.StringIO())
    finally:
        os.chdir(here)


def test_init_never_replaces_a_jsonl_log(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = logs / "train" / "train.jsonl"
    assert _init(logs, "-o", str(log), "--force") == 2
    assert log.read_text() == LOG
    assert "log" in capsys.readouterr().err


def test_init_refuses_a_jsonl_runs_folder(logs: Path) -> None:
    assert _init(logs, "-o", str(logs / "train" / "schema.toml")) == 2
    assert sorted(p.name for p in (logs / "train").iterdir()) == ["train.jsonl"]


def test_init_without_o_refuses_a_folder_that_holds_logs(logs: Path) -> None:
    assert _init(logs, cwd=logs / "train") == 2
    assert sorted(p.name for p in (logs / "train").iterdir()) == ["train.jsonl"]


def test_init_writes_elsewhere(logs: Path, tmp_path: Path) -> None:
    assert _init(logs, "-o", str(tmp_path / "schema.toml")) == 0
    assert (tmp_path / "schema.toml").read_text().strip()
