"""The CLI in-process (main(argv, stdout=...)) on the example runs shipped in the repo."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.cli import main
from tests.e2e.clients import EXAMPLES, run_cli


class TextSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "txt"


class MarkdownSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


def test_latest_fits_the_budget() -> None:
    code, text = run_cli("latest")
    assert code == 0
    assert EstimatingTokenCounter().count(text) <= 400
    newest = run_cli("--format", "json", "list")[1]
    assert text.splitlines()[0].startswith(
        __import__("json").loads(newest)["runs"][0]["name"]
    )  # by the logs' own clocks


def test_latest_json_matches_run_summary_contract() -> None:
    code, text = run_cli("--format", "json", "latest")
    assert code == 0
    data = json.loads(text)
    assert set(data) >= {"run", "headline", "metrics", "anomalies", "recommendations", "tokens"}
    assert set(data["run"]) >= {
        "id", "name", "project", "source", "state", "created_at", "updated_at", "last_step", "runtime_s", "tags", "notes", "git",
    }  # fmt: skip
    assert {"key", "last", "last_step", "best", "best_step", "trend", "sparkline"} <= set(data["metrics"][0])
    assert data["tokens"] <= 400


def test_json_non_finite_values_are_strings() -> None:
    code, text = run_cli("--format", "json", "run", "lr-too-high")
    assert code == 0
    metrics = {m["key"]: m for m in json.loads(text)["metrics"]}
    assert metrics["train/loss"]["last"] == "NaN"


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_summary_snapshot(fmt: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    code, text = run_cli("--format", fmt, "run", "baseline")
    assert code == 0
    ext = TextSnapshot if fmt == "text" else MarkdownSnapshot
    assert text == snapshot(extension_class=ext)


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["keys", "baseline"],
        ["history", "baseline", "-k", "train/loss,val/loss", "--samples", "10", "--from", "100", "--to", "900"],
        ["stats", "baseline", "-k", "train/loss"],
        ["config", "baseline"],
    ],
)
@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_every_command_in_every_format(argv: list[str], fmt: str) -> None:
    code, text = run_cli("--format", fmt, *argv)
    assert code == 0 and text.strip()
    if fmt == "json":
        json.loads(text)


def test_global_flags_work_after_the_command() -> None:
    code, text = run_cli("keys", "baseline", "--format", "json")
    assert code == 0 and json.loads(text)["total"] == 7


def test_history_keeps_window_and_extremes() -> None:
    code, text = run_cli("--format", "json", "history", "lr-too-high", "-k", "train/loss", "--samples", "20")
    data = json.loads(text)["series"][0]
    assert code == 0 and data["total_points"] == 2000 and len(data["steps"]) <= 24
    assert "NaN" in data["values"]


def test_config_shows_logged_config() -> None:
    code, text = run_cli("--format", "json", "config", "baseline")
    assert code == 0 and json.loads(text)["config"]["lr"] == 0.05


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["run", "nope"], "no run matches 'nope'"),
        (["history", "baseline", "-k", "loss"], "did you mean"),
        (["history", "baseline"], "-k/--keys"),
        (["history", "baseline", "-k", "train/loss", "--from", "9", "--to", "1"], "after --to"),
        (["frobnicate"], "invalid choice"),
        (["--budget", "many", "latest"], "invalid int"),
    ],
)
def test_errors_are_one_line_with_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with (
        pytest.raises(SystemExit)
        if argv[0] in ("frobnicate", "--budget") or argv == ["history", "baseline"]
        else _nothing()
    ):
        code, _ = run_cli(*argv)
        assert code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run_cli("frobnicate")
    assert exit_info.value.code == 2


def test_corrupt_and_empty_files_never_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "binary.jsonl").write_bytes(os.urandom(4096).replace(b"\n", b"x"))
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "half.jsonl").write_text('{"step": 0, "loss": 1.0}\n{"step": 1, "lo')
    code, text = run_cli("list", root=tmp_path)
    assert code == 0 and "empty" in text
    code, text = run_cli("run", "empty", root=tmp_path)
    assert code == 0
    code, text = run_cli("run", "half", root=tmp_path)
    assert code == 0 and "incomplete" in text
    code, _ = run_cli("run", "binary", root=tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and "not JSON lines" in err and "Traceback" not in err


def test_verbose_shows_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_cli("-v", "run", "nope")
    assert code == 2 and "Traceback" in capsys.readouterr().err


def test_never_writes_into_the_log_directory(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "jsonl", tmp_path / "logs")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "logs").iterdir())
    for argv in (["list"], ["latest"], ["keys", "baseline"], ["stats", "baseline"]):
        assert run_cli(*argv, root=tmp_path)[0] == 0
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "logs").iterdir()) == before


def test_history_aligns_keys_logged_at_different_rates() -> None:
    code, text = run_cli(
        "--format", "json", "history", "baseline", "-k", "train/loss,val/loss", "--align", "--samples", "500"
    )
    aligned = json.loads(text)["aligned"]
    assert code == 0 and aligned["grid_key"] == "val/loss"
    rows = [json.loads(line) for line in (EXAMPLES / "jsonl" / "baseline.jsonl").read_text().splitlines()[1:]]
    val_steps = [r["step"] for r in rows if "val/loss" in r]
    assert aligned["steps"] == val_steps  # every validation step, since they fit in the samples
    by_step = {r["step"]: r for r in rows}
    for i, step in enumerate(aligned["steps"]):
        assert aligned["columns"]["train/loss"][i] == by_step[step]["train/loss"]
        assert aligned["columns"]["val/loss"][i] == by_step[step]["val/loss"]


def test_usage_and_input_errors_from_a_new_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("list", root=tmp_path / "missing")[0] == 2
    assert "does not exist" in capsys.readouterr().err
    assert run_cli("list", "--source", "nope")[0] == 2
    err = capsys.readouterr().err
    assert "sources here: " in err and "jsonl" in err.partition("sources here: ")[2]
    assert run_cli("list", "--limit", "-1")[0] == 2  # the bound comes from the declaration, as for list_runs
    assert "--limit: input should be greater than or equal to 1 (got -1)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--bogus"], stdout=io.StringIO())
    err = capsys.readouterr().err
    assert "(see: runwise --help)" in err and "runwise runwise" not in err


def test_help_renders_percent_signs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"], stdout=io.StringIO())
    text = " ".join(capsys.readouterr().out.split())
    assert "val/acc > 80% and config.lr" in text and "option_strings" not in text


def test_read_warnings_survive_the_default_budget(tmp_path: Path) -> None:
    lines = [
        json.dumps({"step": s, "loss": 1.0 / (s + 1), **{f"m{i}": float(i) for i in range(30)}}) for s in range(300)
    ]
    (tmp_path / "run.jsonl").write_text("\n".join([*lines[:100], "{broken", *lines[100:]]) + "\n")
    code, text = run_cli("run", "run", root=tmp_path)
    assert code == 0 and "skipped 1 malformed line (first at line 101)" in text
    code, text = run_cli("--format", "json", "run", "run", root=tmp_path)
    assert json.loads(text)["warnings"] == ["skipped 1 malformed line (first at line 101)"]
