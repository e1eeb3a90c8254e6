"""Runs and their code: the commit shown wherever a run is summarised, `compare --by-commit`, and the GitHub
Actions job summary of `health --strict`.

File logs get their commit from the git work tree they lie in (a real repository made with `git` here, with
commits dated before each run started); MLflow runs from the `mlflow.source.git.*` tags the real client logs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from io import StringIO
from pathlib import Path

import pytest

import runwise
from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.cli.main import main
from tests.frameworks.staged_writer import StagedWriter

DAY = 86_400
START = 1_767_225_600  # 2026-01-01


def _git(repo: Path, *args: str, when: int) -> str:
    stamp = f"@{when} +0000"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    done = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _log(path: Path, started: int, scale: float) -> None:
    rows = (
        {"step": s, "_timestamp": started + s, "train/loss": scale * math.exp(-s / 50),
         "val/loss": scale * math.exp(-s / 60) + 0.1}
        for s in range(100)
    )  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str, str]:
    """A work tree with two commits a day apart; runs a1, a2 started after the first, b1 after the second."""
    root = tmp_path / "project"
    (root / "logs").mkdir(parents=True)
    _git(root, "init", "-q", "-b", "main", when=START)
    _git(root, "remote", "add", "origin", "git@github.com:acme/vision.git", when=START)
    (root / "train.py").write_text("lr = 0.1\n")
    _git(root, "add", "train.py", when=START)
    _git(root, "commit", "-q", "-m", "Baseline model", when=START)
    first = _git(root, "rev-parse", "HEAD", when=START)
    _log(root / "logs" / "a1.jsonl", START + 3600, 1.0)
    _log(root / "logs" / "a2.jsonl", START + 7200, 0.9)
    (root / "train.py").write_text("lr = 0.05\n")
    _git(root, "commit", "-q", "-am", "Warm up the learning rate", when=START + DAY)
    second = _git(root, "rev-parse", "HEAD", when=START + DAY)
    _log(root / "logs" / "b1.jsonl", START + DAY + 3600, 0.7)
    return root / "logs", first, second


def _cli(*args: str) -> tuple[int, str]:
    out = StringIO()
    code = main(list(args), stdout=out)
    return code, out.getvalue()


def test_summary_and_report_show_the_inferred_commit_with_its_link(repo: tuple[Path, str, str]) -> None:
    logs, first, second = repo
    code, text = _cli("--dir", str(logs), "run", "b1")
    head = text.splitlines()[0]
    shown = f"commit https://github.com/acme/vision/commit/{second[:7]} (main, inferred)"
    assert code == 0 and head.endswith(" · " + shown)
    assert EstimatingTokenCounter().count(shown) <= 30  # a few tokens
    _code, text = _cli("--dir", str(logs), "run", "a1")
    assert f"/commit/{first[:7]} (main, inferred)" in text.splitlines()[0]  # the commit current when a1 started

    report = logs.parent / "report.md"
    assert _cli("--dir", str(logs), "report", "--format", "md", "-o", str(report), "a1", "b1")[0] == 0
    body = report.read_text()
    assert f"https://github.com/acme/vision/commit/{first[:7]} (main, inferred)" in body
    assert f"https://github.com/acme/vision/commit/{second[:7]} (main, inferred)" in body

    page = logs.parent / "report.html"
    assert _cli("--dir", str(logs), "report", "-o", str(page), "b1")[0] == 0
    url = f"https://github.com/acme/vision/commit/{second[:7]}"
    assert f'<a href="{url}" rel="noopener noreferrer">{url}</a> (main, inferred)' in page.read_text()


def test_a_log_outside_any_work_tree_shows_no_commit(tmp_path: Path) -> None:
    _log(tmp_path / "plain.jsonl", START, 1.0)
    code, text = _cli("--dir", str(tmp_path), "run", "plain")
    assert code == 0 and "commit" not in text.splitlines()[0]


def test_a_log_older_than_every_commit_shows_no_commit(repo: tuple[Path, str, str]) -> None:
    logs, _first, _second = repo
    _log(logs / "older.jsonl", START - 30 * DAY, 1.0)  # written before the repository's history began
    code, text = _cli("--dir", str(logs), "run", "older")
    assert code == 0 and "commit" not in text.splitlines()[0]


def test_a_commit_recorded_by_mlflow_is_shown_as_recorded(staged_writer: StagedWriter, tmp_path: Path) -> None:
    uri = staged_writer.sqlite_store(tmp_path / "mlflow.db")
    tags = {"mlflow.source.git.commit": "0123456789abcdef0123456789abcdef01234567",
            "mlflow.source.git.repoURL": "https://github.com/acme/vision.git", "mlflow.source.git.branch": "exp/lr"}  # fmt: skip
    staged_writer.send({"op": "mlflow", "uri": uri, "name": "tagged", "tags": tags,
                        "rows": [[s, {"val/loss": 1 / (s + 1)}] for s in range(5)], "status": "FINISHED"})  # fmt: skip
    code, text = _cli("--dir", str(tmp_path), "run", "tagged")
    assert code == 0
    assert text.splitlines()[0].endswith("· commit https://github.com/acme/vision/commit/0123456 (exp/lr)")


def test_compare_by_commit_groups_runs_and_compares_each_commits_best(repo: tuple[Path, str, str]) -> None:
    logs, first, second = repo
    code, text = _cli("--dir", str(logs), "compare", "--by-commit", "a1", "a2", "b1")
    assert code == 0
    lines = text.splitlines()
    base = f'{first[:7]}? main ×2 "Baseline model"'
    new = f'{second[:7]}? main ×1 "Warm up the learning rate"'
    assert lines[0] == f"compare {base} vs {new}"
    val = next(line for line in lines if line.startswith("val/loss"))
    best_a = 0.9 * math.exp(-99 / 60) + 0.1  # a2 is the better run of the first commit
    best_b = 0.7 * math.exp(-99 / 60) + 0.1
    assert val.split()[1:3] == [f"{best_a:.4g}", f"{best_b:.4g}"] and val.endswith("better")

    # the same parameter through the declaration: the Python API (and so the MCP tool)
    session = runwise.Session(dir=str(logs))
    result = session.compare(runs=["a1", "a2", "b1"], by_commit=True)
    assert [r["name"] for r in result.data()["runs"]] == [base, new]

    code, _ = _cli("--dir", str(logs), "compare", "--by-commit", "a1", "a2")
    assert code == 2  # one commit only: nothing to compare, said in one line


def test_health_strict_appends_to_the_github_step_summary_only(
    repo: tuple[Path, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    logs, _first, second = repo
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    before = sorted(p.name for p in logs.iterdir())
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    code, _ = _cli("--dir", str(logs), "health", "b1")
    assert code == 0 and summary.read_text() == "earlier step\n"  # only with --strict

    code, _ = _cli("--dir", str(logs), "health", "--strict", "b1")
    assert code == 0
    added = summary.read_text().removeprefix("earlier step\n")
    assert added.startswith("### :white_check_mark: Runwise health: b1 is healthy\n\nNo problems found")
    assert added.rstrip().endswith(f"commit https://github.com/acme/vision/commit/{second[:7]} (main, inferred)")
    assert sorted(p.name for p in logs.iterdir()) == before  # nothing written where the logs are
    assert "added the verdict to $GITHUB_STEP_SUMMARY" in capsys.readouterr().err

    for log in logs.iterdir():  # logs old enough for the CLI's answer cache
        os.utime(log, (START, START))
    for _ in range(2):
        assert _cli("--dir", str(logs), "health", "--strict", "b1")[0] == 0
    assert summary.read_text().count("Runwise health: b1") == 3  # asked again: appended again

    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(logs / "summary.md"))  # pointed into the run's folder
    assert _cli("--dir", str(logs), "health", "--strict", "b1")[0] == 0
    assert not (logs / "summary.md").exists()
    assert "inside the run's folder" in capsys.readouterr().err

    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))  # cannot be written
    assert _cli("--dir", str(logs), "health", "--strict", "b1")[0] == 0  # the check's answer stands
    assert "cannot append to $GITHUB_STEP_SUMMARY" in capsys.readouterr().err

    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert _cli("--dir", str(logs), "health", "--strict", "b1")[0] == 0
