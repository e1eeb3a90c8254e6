"""The parsed-run cache end to end: changed runs are re-read, damaged entries rebuilt, racing processes
agree, nothing is ever written under the log folders, and `--no-cache` / `runwise cache` do what they say."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.model import Run
from runwise.entrypoints.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("RUNWISE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def _load(root: Path, ref: str = "latest", **flags: Any) -> Run:
    """A fresh app each time: nothing shared in memory, as with a new process."""
    return bootstrap(Settings.load(cwd=root, dir=root, **flags)).catalog.load(ref).run


def _same(a: Run, b: Run) -> None:
    assert a.info == b.info and a.config == b.config and a.warnings == b.warnings
    assert list(a.series) == list(b.series)
    for key, series in a.series.items():
        assert series == b.series[key], key
        if series.wall_time is not None:
            np.testing.assert_array_equal(series.wall_time, b.series[key].wall_time)
    assert list(a.summary) == list(b.summary)
    for key, value in a.summary.items():
        assert value == b.summary[key] or (value != value and b.summary[key] != b.summary[key]), key


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("runs-v*/*.run"))


def _lines(start: int, stop: int, *, scale: float = 1.0) -> str:
    return "".join(
        json.dumps({"step": i, "loss": scale / (i + 1), "_timestamp": 1.7e9 + i, **({"val": i} if i % 7 == 0 else {})})
        + "\n"
        for i in range(start, stop)
    )


@pytest.fixture
def spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records each JSONL read: True when it carried on from a stored read, False for a read from the start."""
    from runwise.adapters.sources.jsonl import source as jsonl_source

    calls: list[bool] = []
    real = jsonl_source.read_series

    def spying(stream: Any, step_key: Any = None, *, start: Any = None) -> Any:
        calls.append(start is not None)
        return real(stream, step_key, start=start)

    monkeypatch.setattr(jsonl_source, "read_series", spying)
    return calls


def test_an_unchanged_run_is_not_parsed_again(logs: Path, cache_dir: Path, spy_reads: list[bool]) -> None:
    (logs / "run.jsonl").write_text(_lines(0, 500))
    first = _load(logs)
    second = _load(logs)
    assert spy_reads == [False] and len(_entries(cache_dir)) == 1
    _same(first, second)


def test_a_grown_log_is_read_on_from_where_it_stopped(logs: Path, cache_dir: Path, spy_reads: list[bool]) -> None:
    log = logs / "run.jsonl"
    log.write_text('{"config": {"lr": 0.1}}\n' + _lines(0, 300) + "not json\n")
    _load(logs)
    with log.open("a") as fh:  # later lines: a step written again (a resumed job), more config, another bad line
        fh.write(_lines(250, 600, scale=2.0) + '{"config": {"bs": 8}}\n{broken\n' + '{"step": 601, "loss": NaN}\n')
    grown = _load(logs)
    assert spy_reads == [False, True]
    fresh = _load(logs, cache=False)
    _same(grown, fresh)
    assert grown.series["loss"].values[260] == 2.0 / 261 and grown.config == {"lr": 0.1, "bs": 8}
    assert "skipped 2 malformed lines (first at line 302)" in grown.warnings


def test_a_log_without_a_final_newline_is_read_again_from_the_start(
    logs: Path, cache_dir: Path, spy_reads: list[bool]
) -> None:
    log = logs / "run.jsonl"
    log.write_text(_lines(0, 100) + '{"step": 100, "loss": 0.5')  # a line still being written
    _load(logs)
    with log.open("a") as fh:
        fh.write("}\n" + _lines(101, 120))
    _same(_load(logs), _load(logs, cache=False))
    assert spy_reads[1] is False


def test_a_rewritten_log_of_the_same_size_is_read_again(logs: Path, cache_dir: Path, spy_reads: list[bool]) -> None:
    log = logs / "run.jsonl"
    log.write_text(_lines(0, 200))
    before = _load(logs)
    text = log.read_text().replace('"loss": 1.0,', '"loss": 7.0,', 1)  # same length, new content
    assert len(text) == log.stat().st_size
    stat = log.stat()
    log.write_text(text)
    os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = _load(logs)
    assert before.series["loss"].values[0] == 1.0 and after.series["loss"].values[0] == 7.0
    assert spy_reads == [False, False]  # the stored part no longer matches: read from the start


def test_a_log_grown_after_being_rewritten_is_not_appended_to_the_old_content(logs: Path, cache_dir: Path) -> None:
    log = logs / "run.jsonl"
    log.write_text(_lines(0, 200))
    _load(logs)
    log.write_text(_lines(0, 200, scale=3.0) + _lines(200, 220))  # rewritten in place, then longer
    _same(_load(logs), _load(logs, cache=False))


def test_a_touched_run_of_another_format_is_read_again(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runwise.adapters.sources.tensorboard.source import TensorBoardRunSource

    root = tmp_path / "tb"
    shutil.copytree(EXAMPLES / "tensorboard", root)
    loads: list[str] = []
    real = TensorBoardRunSource.load_run
    monkeypatch.setattr(
        TensorBoardRunSource, "load_run", lambda self, run_id: loads.append(run_id) or real(self, run_id)
    )
    first = _load(root)
    _load(root)
    assert len(loads) == 1
    event = next(p for p in root.rglob("*") if p.is_file() and "tfevents" in p.name)
    stat = event.stat()
    os.utime(event, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # same size, new mtime
    again = _load(root)
    assert len(loads) == 2
    _same(first, again)


def test_a_truncated_cache_file_is_rebuilt(logs: Path, cache_dir: Path, spy_reads: list[bool]) -> None:
    (logs / "run.jsonl").write_text(_lines(0, 2000))
    fresh = _load(logs)
    (entry,) = _entries(cache_dir)
    size = entry.stat().st_size
    with entry.open("r+b") as fh:
        fh.truncate(size // 2)
    _same(_load(logs), fresh)
    assert spy_reads == [False, False] and entry.stat().st_size > size // 2  # parsed again and stored whole
    _same(_load(logs), fresh)
    assert spy_reads == [False, False]


@pytest.mark.parametrize("source", ["jsonl", "tensorboard", "wandb"])
def test_runs_of_every_format_come_back_from_the_cache_unchanged(tmp_path: Path, cache_dir: Path, source: str) -> None:
    root = EXAMPLES / source
    fresh = _load(root, cache=False)
    _load(root)
    assert len(_entries(cache_dir)) == 1
    _same(_load(root), fresh)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest.update(f"{path.relative_to(root)}|{st.st_mode}|{st.st_size}|{st.st_mtime_ns}".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--no-color", *argv], stdout=out), out.getvalue()


def test_the_cache_never_appears_under_the_log_folders(tmp_path: Path, cache_dir: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(EXAMPLES, logs)
    before = _tree_digest(logs)
    listing = json.loads(_cli("--dir", str(logs), "--format", "json", "list")[1])["runs"]
    for run in listing:
        assert _cli("--dir", str(logs), "run", run["id"])[0] == 0
        assert _cli("--dir", str(logs), "stats", run["id"])[0] == 0
    assert len(_entries(cache_dir)) == len(listing) >= 5
    assert _tree_digest(logs) == before
    assert not list(logs.rglob("*.run")) and not list(logs.rglob("runs-v*"))


def test_a_cache_folder_set_inside_the_log_folder_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(EXAMPLES / "jsonl", logs)
    before = _tree_digest(logs)
    monkeypatch.setenv("RUNWISE_CACHE_DIR", str(logs / ".cache"))
    assert _cli("--dir", str(logs), "latest")[0] == 0
    assert _tree_digest(logs) == before


def test_no_cache_flag_and_environment_switch_keep_nothing(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = EXAMPLES / "jsonl"
    assert _cli("--dir", str(logs), "--no-cache", "latest")[0] == 0
    monkeypatch.setenv("RUNWISE_NO_CACHE", "1")
    assert _cli("--dir", str(logs), "latest")[0] == 0
    assert not _entries(cache_dir)


def test_cache_info_and_clear(tmp_path: Path, cache_dir: Path) -> None:
    logs = EXAMPLES / "jsonl"
    assert _cli("--dir", str(logs), "latest")[0] == 0
    code, text = _cli("--format", "json", "cache", "info")
    facts = json.loads(text)
    assert code == 0 and facts["entries"] == 1 and facts["bytes"] > 0 and facts["location"] == str(cache_dir)
    code, text = _cli("cache")
    assert code == 0 and str(cache_dir) in text and "1 parsed run and 2 results" in text
    code, text = _cli("cache", "clear")
    assert code == 0 and text.strip() == "removed 1 cached run" and not _entries(cache_dir)


def test_two_processes_racing_on_one_run_both_get_right_answers(logs: Path, cache_dir: Path) -> None:
    (logs / "run.jsonl").write_text(_lines(0, 30_000))
    expected = _cli("--dir", str(logs), "--no-cache", "--format", "json", "stats", "run")[1]
    argv = [sys.executable, "-m", "runwise", "--dir", str(logs), "--format", "json", "stats", "run"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for _round in range(2):  # the first round races to write the entry, the second to read it
        procs = [subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()
            assert out.decode() == expected
    assert len(_entries(cache_dir)) == 1


def test_an_unchanged_run_is_not_analysed_again(logs: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runwise.domain.analysis as analysis

    (logs / "run.jsonl").write_text(_lines(0, 3000))
    calls: list[str] = []
    real = analysis.analyze

    def counting(run: Run, *args: Any, **kwargs: Any) -> Any:
        calls.append(run.info.id)
        return real(run, *args, **kwargs)

    monkeypatch.setattr(analysis, "analyze", counting)
    first = _cli("--dir", str(logs), "run", "run")
    second = _cli("--dir", str(logs), "run", "run")
    assert first == second and first[0] == 0 and len(calls) == 1
    for result in cache_dir.glob("runs-v*/*.result"):  # a damaged result is computed again, same answer
        result.write_bytes(result.read_bytes()[:-3])
    assert _cli("--dir", str(logs), "run", "run") == first and len(calls) == 2
    assert _cli("--dir", str(logs), "--format", "json", "cache")[1].count('"results": 2') == 1


def test_answers_with_the_cache_are_the_answers_without_it(logs: Path, cache_dir: Path) -> None:
    (logs / "run.jsonl").write_text(_lines(0, 3000) + '{"step": 3000, "loss": NaN}\n')
    for argv in (["run", "run"], ["run", "run@1500"], ["stats", "run"], ["health", "run"], ["run", "run"]):
        cached = _cli("--dir", str(logs), *argv)
        assert cached == _cli("--dir", str(logs), "--no-cache", *argv), argv


def test_an_edited_side_config_is_read_again(logs: Path, cache_dir: Path) -> None:
    (logs / "run.jsonl").write_text(_lines(0, 100))
    (logs / "config.json").write_text('{"lr": 0.1}')
    assert _load(logs).config == {"lr": 0.1}
    side = logs / "config.json"
    stat = side.stat()
    side.write_text('{"lr": 0.2}')  # same size: only the mtime tells
    os.utime(side, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert _load(logs).config == {"lr": 0.2}
