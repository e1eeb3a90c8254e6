"""The CLI's answer cache: a repeated command on unchanged logs prints the stored answer, and nothing that could
change the answer (the log's bytes, a new run, the arguments, the config or schema file, the code) is missed."""

from __future__ import annotations

import importlib
import io
import os
import time
from pathlib import Path

import pytest

from runwise.entrypoints.cli import answers
from tests.e2e.logs import healthy_rows, write_jsonl

cli = importlib.import_module("runwise.entrypoints.cli.main")  # the module (the package's `main` is the function)
LONG_AGO = time.time() - 3600


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("RUNWISE_CACHE_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argument lists the ordinary path parsed: a replayed answer never reaches the parser."""
    calls: list[list[str]] = []
    build = cli.build_parser

    def counting(*args: object) -> object:
        calls.append(["parsed"])
        return build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "build_parser", counting)
    return calls


def _age(*paths: Path, when: float = LONG_AGO) -> None:
    """Logs written long ago: not running, and not so recent that a rewrite could keep the same mtime."""
    for path in paths:
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.utime(item, (when, when))


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), stdout=out)
    return code, out.getvalue()


def _logs(tmp_path: Path, loss: float = 0.3) -> tuple[Path, Path]:
    root = tmp_path / "logs"
    rows = healthy_rows(300)
    rows[-1]["train/loss"] = loss
    log = write_jsonl(root / "exp" / "metrics.jsonl", rows)
    _age(root)
    return root, log


def test_a_repeated_command_is_answered_from_the_cache(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    first = _run("--dir", str(root), "run", "latest")
    second = _run("--dir", str(root), "run", "latest")
    assert first == second and first[0] == 0 and "train/loss" in first[1]
    assert len(computed) == 1  # the second call never parsed its arguments
    assert list(cache_dir.glob("answers-v*/*.answer"))
    assert not any("answers" in str(p) for p in root.rglob("*"))  # nothing written under the logs


def test_a_log_rewritten_to_the_same_size_is_read_again(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, log = _logs(tmp_path, loss=0.31)
    first = _run("--dir", str(root), "--format", "json", "run", "latest")
    text = log.read_text()
    changed = text.replace('"train/loss": 0.31', '"train/loss": 0.97')
    assert len(changed) == len(text) and changed != text
    log.write_text(changed)
    _age(root, when=LONG_AGO + 10)  # same size, new mtime
    second = _run("--dir", str(root), "--format", "json", "run", "latest")
    assert len(computed) == 2 and second != first and "0.97" in second[1]
    # replaced by another file of the same size and the same mtime: the inode tells them apart
    log.with_name("new.tmp").write_text(text)
    os.replace(log.with_name("new.tmp"), log)
    _age(root, when=LONG_AGO + 10)
    third = _run("--dir", str(root), "--format", "json", "run", "latest")
    assert len(computed) == 3 and third == first


def test_a_new_run_changes_what_latest_names(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    first = _run("--dir", str(root), "run", "latest")
    newer = healthy_rows(200)
    for row in newer:
        row["_timestamp"] = float(row["_timestamp"]) + 10_000  # type: ignore[arg-type]
    write_jsonl(root / "exp2" / "metrics.jsonl", newer)
    _age(root, when=LONG_AGO + 20)
    second = _run("--dir", str(root), "run", "latest")
    assert len(computed) == 2 and "exp2" in second[1] and second != first


def test_other_arguments_settings_or_code_are_other_questions(
    tmp_path: Path, cache_dir: Path, computed: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = _logs(tmp_path)
    _run("--dir", str(root), "run", "latest")
    _run("--dir", str(root), "run", "latest", "--budget", "120")
    assert len(computed) == 2
    schema = tmp_path / "schema.toml"
    schema.write_text('[schema]\nloss = ["train/loss"]\n')
    _age(schema)
    _run("--dir", str(root), "--schema", str(schema), "run", "latest")
    _run("--dir", str(root), "--schema", str(schema), "run", "latest")
    assert len(computed) == 3
    schema.write_text('[schema]\nloss = ["train/acc"]\n')
    _age(schema, when=LONG_AGO + 5)
    _run("--dir", str(root), "--schema", str(schema), "run", "latest")
    assert len(computed) == 4  # the schema file changed
    (tmp_path / "runwise.toml").write_text("budget = 150\n")
    _run("--dir", str(root), "run", "latest")
    assert len(computed) == 5  # a config file appeared in the working folder
    monkeypatch.setenv("RUNWISE_BUDGET", "160")
    _run("--dir", str(root), "run", "latest")
    assert len(computed) == 6  # the environment changed
    real = answers.code_version
    monkeypatch.setattr(answers, "code_version", lambda: [*real(), "upgraded"])
    _run("--dir", str(root), "run", "latest")
    assert len(computed) == 7  # another version of the code


def test_a_damaged_entry_is_ignored_and_rewritten(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    first = _run("--dir", str(root), "run", "latest")
    (entry,) = cache_dir.glob("answers-v*/*.answer")
    entry.write_bytes(entry.read_bytes()[:40])
    assert _run("--dir", str(root), "run", "latest") == first
    assert _run("--dir", str(root), "run", "latest") == first
    assert len(computed) == 2


def test_no_cache_neither_replays_nor_keeps(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    _run("--dir", str(root), "--no-cache", "run", "latest")
    _run("--dir", str(root), "--no-cache", "run", "latest")
    assert len(computed) == 2 and not list(cache_dir.glob("answers-v*/*.answer"))
    _run("--dir", str(root), "run", "latest")
    _run("--dir", str(root), "run", "latest", "--no-cache")
    assert len(computed) == 4


def test_a_log_written_just_now_is_not_kept(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, log = _logs(tmp_path)
    os.utime(log)  # being written: its next write may keep this mtime, and its state moves with the clock
    _run("--dir", str(root), "run", "latest")
    _run("--dir", str(root), "run", "latest")
    assert len(computed) == 2 and not list(cache_dir.glob("answers-v*/*.answer"))


def test_a_run_outside_the_folder_is_not_kept(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    elsewhere = write_jsonl(tmp_path / "other" / "metrics.jsonl", healthy_rows(100))
    _age(elsewhere.parent)
    _run("--dir", str(root), "run", str(elsewhere))
    _run("--dir", str(root), "run", str(elsewhere))
    assert len(computed) == 2  # its folder is not watched, so its answer could go stale unseen


def test_commands_that_write_are_never_kept(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    for _ in range(2):
        assert _run("--dir", str(root), "init", "--from-run", "latest", "-o", str(tmp_path / "s.toml"))[0] == 0
        (tmp_path / "s.toml").unlink()
    assert len(computed) == 2


def test_cache_clear_removes_answers(tmp_path: Path, cache_dir: Path, computed: list) -> None:
    root, _ = _logs(tmp_path)
    _run("--dir", str(root), "run", "latest")
    assert list(cache_dir.glob("answers-v*/*.answer"))
    _run("cache", "clear")
    assert not list(cache_dir.glob("answers-v*/*.answer"))


def test_help_is_kept_and_replayed_as_argparse_prints_it(
    cache_dir: Path, computed: list, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        with pytest.raises(SystemExit) as exited:
            cli.main(["run", "--help"])
        assert exited.value.code == 0
        assert "usage: runwise run" in capsys.readouterr().out
    assert len(computed) == 1


def test_only_read_only_capabilities_are_kept() -> None:
    from runwise.entrypoints.cli.commands import answer_cacheable

    assert all(answer_cacheable(c) for c in ("run", "latest", "health", "compare", "list", "stats"))
    assert not any(answer_cacheable(c) for c in ("notify", "github", "init", "plot", "report", "watch", "cache", "mcp"))
