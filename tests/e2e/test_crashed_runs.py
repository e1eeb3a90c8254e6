"""A crashed run is never healthy: W&B runs trained for real, one crashed part-way through its planned steps.

The runs are written by the real wandb client (offline) from a numpy MLP really trained on digits; the crashed
one stops at step 871 of the 1,500 its config plans and finishes with exit code 1, as a training script that
raised would. Its loss is healthy up to the crash: only the state tells that the run failed.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from runwise.entrypoints.cli import main
from tests.contract.seeders.wandb import cached_runs
from tests.unit.analysis.trainer import Config, train, warmup_cosine

PLANNED = 1500
CRASH_AT = 871


def _rows(steps: int) -> list[list[object]]:
    trace = train(Config("crash", steps, warmup_cosine(0.1, 100, PLANNED), weight_decay=1e-3, seed=4))
    val = dict(zip(trace.val_steps, trace.val_loss, strict=True))
    rows: list[list[object]] = []
    for i, s in enumerate(trace.steps):
        row = {"train/loss": trace.loss[i], "lr": trace.lr[i], "grad_norm": trace.grad_norm[i]}
        if s in val:
            row["val/loss"] = val[s]
        rows.append([s, row])
    return rows


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    job = {
        "runs": [
            {"id": "crash001", "name": "crashed", "project": "p", "config": {"max_steps": PLANNED},
             "rows": _rows(CRASH_AT + 1), "exit_code": 1},
            {"id": "done0001", "name": "finished", "project": "p", "config": {"max_steps": 300},
             "rows": _rows(300)},
        ]
    }  # fmt: skip
    base = tmp_path_factory.mktemp("crashed")
    shutil.copytree(cached_runs(job) / "wandb", base / "wandb", ignore=shutil.ignore_patterns("latest-run"))
    return base


def _cli(base: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(base), "--no-color", *argv], stdout=out), out.getvalue()


def test_crashed_run_is_critical_in_health_and_strict_fails(runs: Path) -> None:
    code, text = _cli(runs, "--format", "json", "health", "crashed")
    health = json.loads(text)
    assert code == 0 and health["status"] == "critical", health
    assert "crashed at step 871 of 1,500 (58%)" in health["finding"]
    assert _cli(runs, "health", "crashed", "--strict")[0] != 0


def test_crashed_run_shows_in_anomalies_and_headline(runs: Path) -> None:
    data = json.loads(_cli(runs, "--format", "json", "anomalies", "crashed")[1])
    crashed = [a for a in data["anomalies"] if a["kind"] == "crashed"]
    assert len(crashed) == 1 and crashed[0]["severity"] == "critical" and crashed[0]["start_step"] == CRASH_AT
    code, text = _cli(runs, "run", "crashed")
    assert code == 0 and "Main problem: the run crashed at step 871 of 1,500" in text, text


def test_finished_run_of_the_same_training_stays_healthy(runs: Path) -> None:
    code, text = _cli(runs, "--format", "json", "health", "finished")
    assert code == 0 and json.loads(text)["status"] == "healthy", text
    assert _cli(runs, "health", "finished", "--strict")[0] == 0
