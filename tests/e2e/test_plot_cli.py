"""`runwise plot`: terminal charts pinned as snapshots on a fixed 100-column terminal (plain ASCII, as when the
output is not a terminal), the NaN run marked where it broke, runs overlaid, colour only on a terminal."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from runwise.adapters.renderers.terminal_chart import render_terminal
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main
from runwise.services.charts import plot

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"


class TextSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def text_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    shutil.copytree(EXAMPLES, root / "jsonl")
    return root


@pytest.fixture(autouse=True)
def fixed_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")


def plot_cli(logs: Path, *argv: str) -> str:
    out = StringIO()
    assert main(["--dir", str(logs), "plot", *argv], stdout=out) == 0
    return out.getvalue()


def test_plot_of_a_nan_run_marks_where_it_broke(logs: Path, text_snapshot: SnapshotAssertion) -> None:
    text = plot_cli(logs, "lr-too-high", "-k", "train/loss", "--height", "12")
    assert "^ 693: NaN from here to the end" in text
    assert "^ 217: divergence (critical) from here" in text
    assert text.isascii()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text == text_snapshot


def test_several_runs_are_overlaid(logs: Path, text_snapshot: SnapshotAssertion) -> None:
    text = plot_cli(logs, "lr-too-high", "baseline", "-k", "val/loss", "--height", "10")
    assert "lr-too-high" in text and "baseline" in text  # the legend
    assert "^ 700: lr-too-high: NaN from here to the end" in text
    assert text == text_snapshot


def test_a_step_range_and_a_log_axis(logs: Path, text_snapshot: SnapshotAssertion) -> None:
    text = plot_cli(logs, "baseline", "-k", "train/loss", "--from", "100", "--to", "600", "--log", "--height", "8")
    assert "train/loss (log scale)" in text
    assert text == text_snapshot


def test_width_follows_the_terminal(logs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    text = plot_cli(logs, "baseline", "-k", "val/loss", "--height", "6")
    assert max(len(line) for line in text.splitlines()) <= 60


def test_colour_and_braille_on_a_terminal_only(logs: Path) -> None:
    app = bootstrap(Settings.load(dir=str(logs), env={}))
    charts = plot(app.catalog, ["lr-too-high"], ["train/loss"], app.schema, analyzer=app.analyzer, columns=80)
    coloured = render_terminal(charts.charts, width=100, height=10, color=True, ascii_only=False)
    assert "\x1b[" in coloured and any(0x2800 <= ord(ch) <= 0x28FF for ch in coloured)
    plain = render_terminal(charts.charts, width=100, height=10, color=False, ascii_only=True)
    assert "\x1b[" not in plain and plain.isascii()


def test_no_color_flag_gives_plain_ascii(logs: Path) -> None:
    assert plot_cli(logs, "--no-color", "baseline", "-k", "val/loss").isascii()


def test_unknown_key_is_an_error_of_one_line(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dir", str(logs), "plot", "baseline", "-k", "nope"], stdout=StringIO()) == 2
    assert "has no metric 'nope'" in capsys.readouterr().err
