"""The read progress bar: shown for a read longer than the delay, driven by the file offset the OS reports,
never for a quick read, never with -q or without a terminal, and never given to the MCP server."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from runwise.adapters.progress import TerminalReadProgress
from runwise.adapters.progress.positions import ReadTracker, run_files
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main as cli_main
from runwise.entrypoints.cli.main import _progress, build_parser
from runwise.ports.progress import NoProgress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def slow_read(path: Path, seconds: float) -> None:
    data = path.stat().st_size
    with path.open("rb") as fh:
        for _ in range(10):
            fh.read(data // 10)
            time.sleep(seconds / 10)


def test_a_slow_read_shows_a_bar_with_the_bytes_read(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_bytes(b"x" * 400_000)
    term = FakeTerminal()
    progress = TerminalReadProgress(term, delay=0.1, interval=0.05)
    with progress.reading("run", str(log)):
        slow_read(log, 0.6)
    shown = term.getvalue()
    assert "reading run" in shown and "%" in shown
    assert any(f"{p}%" in shown for p in range(20, 100))  # progress moved with the offset, not only 0 and 100


def test_a_quick_read_shows_nothing(tmp_path: Path) -> None:
    log = tmp_path / "run.jsonl"
    log.write_bytes(b"x" * 1000)
    term = FakeTerminal()
    with TerminalReadProgress(term, delay=0.5).reading("run", str(log)):
        log.read_bytes()
    assert term.getvalue() == ""


def test_tracker_counts_open_offsets_and_closed_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"1" * 100)
    (tmp_path / "b").write_bytes(b"2" * 300)
    tracker = ReadTracker(run_files(str(tmp_path)))
    assert tracker.total == 400 and tracker.done() == 0
    with (tmp_path / "b").open("rb", buffering=0) as fh:  # unbuffered: the offset is what was read
        fh.read(120)
        assert tracker.done() == 120
    assert tracker.done() == 300  # b was seen open and is closed now: read through


def test_only_a_terminal_without_quiet_gets_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    parser, _ = build_parser()
    monkeypatch.setattr(sys, "stderr", FakeTerminal())
    assert isinstance(_progress(parser.parse_args(["list"])), TerminalReadProgress)
    assert _progress(parser.parse_args(["-q", "list"])) is None
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress(parser.parse_args(["list"])) is None


def test_the_mcp_server_and_python_api_read_without_a_bar(tmp_path: Path) -> None:
    assert isinstance(bootstrap(Settings.load(env={}, cwd=tmp_path, dir=str(tmp_path))).catalog.progress, NoProgress)


def test_cli_on_a_pipe_writes_no_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.jsonl").write_text("".join(f'{{"step": {i}, "loss": {1 / (i + 1)}}}\n' for i in range(100)))
    assert cli_main(["--dir", str(tmp_path), "run", "r"], stdout=io.StringIO()) == 0
    assert capsys.readouterr().err == ""
