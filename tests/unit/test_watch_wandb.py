"""Following a `.wandb` file while the real `wandb` package (offline, in a child process) is still writing it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from runwise.adapters.sources.wandb_local.follow import WandbFollower
from runwise.domain.watch import Increment
from tests.contract.seeders.wandb import live_run

CHILD = r"""
import math, sys, wandb
run = wandb.init(project="watch", name="live", config={"max_steps": 200}, mode="offline")
for step in range(2000):
    wandb.log({"loss": 1.0 / (step + 1)}, step=step)
print("PHASE1", flush=True)
sys.stdin.readline()
for step in range(2000, 2010):
    wandb.log({"loss": math.nan if step == 2009 else 0.01}, step=step)
print("PHASE2", flush=True)
sys.stdin.readline()
run.finish(exit_code=3)
"""


def _until(follower: WandbFollower, done: callable, seconds: float = 60.0) -> list[Increment]:  # type: ignore[valid-type]
    got: list[Increment] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got.append(follower.poll())
        if done(got):  # type: ignore[operator]
            return got
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting; got {[(list(i.series), i.state) for i in got][-3:]}")


def _points(increments: list[Increment]) -> list[int]:
    return [s for i in increments if "loss" in i.series for s in i.series["loss"].steps.tolist()]


@pytest.mark.slow
def test_follows_a_live_wandb_run_to_its_crash(tmp_path: Path) -> None:
    with live_run(CHILD, tmp_path) as child:
        child.expect("PHASE1")
        path = next((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
        follower = WandbFollower(path)
        # wandb commits a history row when the next step is logged, and writes records a little later
        first = _until(follower, lambda got: len(_points(got)) >= 1900)
        size_first = path.stat().st_size

        child.go()
        child.expect("PHASE2")
        child.go()
        child.proc.wait(timeout=60)
        rest = _until(follower, lambda got: got[-1].state != "unknown")
        assert rest[-1].state == "crashed"
        steps = _points(first) + _points(rest)
        assert steps == list(range(2010))  # every point once, in order, none read twice
        last = [i for i in rest if "loss" in i.series][-1].series["loss"]
        assert str(last.values[-1]) == "nan"
        assert size_first > 300_000
        assert 0 < max(i.bytes_read for i in rest) < 100_000  # the new records and one block, never the file again
        assert follower.poll().bytes_read == 0  # an unchanged file is not read at all
