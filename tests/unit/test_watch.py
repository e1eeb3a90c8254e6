"""Watching runs as they grow: real logs appended between looks, events checked one by one."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.jsonl import JsonlRunSource
from runwise.adapters.sources.jsonl.follow import JsonlFollower
from runwise.domain.analysis import analyze
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import Run
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema
from runwise.domain.watch import Objective, RunTracker
from runwise.services.catalog import Catalog
from runwise.services.watch import ReloadFollower, Watcher


def _anomalies(run: Run, schema: MetricSchema) -> tuple[Anomaly, ...]:
    return analyze(run, schema).anomalies


def _append(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("a") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")


def _healthy(start: int, stop: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for step in range(start, stop):
        row: dict[str, object] = {"step": step, "train/loss": 2.0 * math.exp(-step / 300) + 0.1}
        if step % 50 == 0:
            row["val/loss"] = 2.2 * math.exp(-step / 300) + 0.15
        rows.append(row)
    return rows


BIG = 1_000_000  # steps of the log a watch starts on (issue 17: not re-read when points are appended)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _watcher(root: Path, clock: Clock, **kw: object) -> Watcher:
    catalog = Catalog([JsonlRunSource(root)])
    return Watcher(catalog, DEFAULT_SCHEMA, _anomalies, clock=clock, analyze_every_s=0.0, **kw)  # type: ignore[arg-type]


def test_each_event_arrives_once_in_order(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    _append(log, _healthy(0, 400))
    clock = Clock()
    watcher = _watcher(tmp_path, clock, ref="train", stall_after_s=300)
    watcher.start()
    first = watcher.step()
    assert [e.kind for e in first] == ["new_best"]  # val/loss, the objective, at its best so far
    assert first[0].metric == "val/loss" and first[0].step == 350

    assert watcher.step() == []  # nothing new: nothing said

    _append(log, [{"step": 400, "train/loss": float("nan")}])
    clock.now += 1
    events = watcher.step()
    assert [e.kind for e in events][:1] == ["nan_inf"]
    assert events[0].severity == "critical" and events[0].step == 400 and "NaN" in events[0].message
    later = watcher.step()
    assert all(e.kind != "nan_inf" for e in later)  # the first NaN alerts once

    seqs = [e.seq for e in first + events + later]
    assert seqs == list(range(1, len(seqs) + 1))


def test_stall_alerts_once_and_rearms(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    _append(log, _healthy(0, 100))
    clock = Clock()
    watcher = _watcher(tmp_path, clock, ref="train", stall_after_s=600)
    watcher.start()
    watcher.step()
    clock.now += 601
    stall = watcher.step()
    assert [e.kind for e in stall] == ["stall"]
    assert "no new point for 10 min after step 99" in stall[0].message
    clock.now += 601
    assert watcher.step() == []
    _append(log, _healthy(100, 110))
    resumed = watcher.step()
    assert [e.kind for e in resumed] == ["resumed", "new_best"]  # val/loss at step 100 is a new best


def test_new_best_only_when_the_objective_improves(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    _append(log, [{"step": 0, "val/acc": 0.5}, {"step": 1, "val/acc": 0.7}])
    clock = Clock()
    watcher = _watcher(tmp_path, clock, ref="train")
    watcher.start()
    assert [(e.kind, e.message) for e in watcher.step()] == [("new_best", "new best val/acc 0.7 at step 1")]
    _append(log, [{"step": 2, "val/acc": 0.6}])
    assert watcher.step() == []
    _append(log, [{"step": 3, "val/acc": 0.8}])
    assert [e.message for e in watcher.step()] == ["new best val/acc 0.8 at step 3 (was 0.7)"]


def test_an_episode_alerts_once_and_its_escalation_once_more() -> None:
    tracker = RunTracker(info=_info())
    warn = Anomaly("loss_spike", "loss", 10, 12, 11, "warning", "spike x5")
    worse = Anomaly("loss_spike", "loss", 10, 20, 15, "critical", "spike x50")
    other = Anomaly("loss_spike", "loss", 100, 102, 101, "warning", "spike x4")
    first = tracker.observe(new={}, state="running", anomalies=[warn], now=0, next_seq=1)
    again = tracker.observe(new={}, state="running", anomalies=[warn], now=1, next_seq=2)
    escalated = tracker.observe(new={}, state="running", anomalies=[worse, other], now=2, next_seq=2)
    assert [e.kind for e in first] == ["anomaly"] and again == []
    assert [e.kind for e in escalated] == ["escalated", "anomaly"]
    assert escalated[0].episode == first[0].episode == "loss_spike:loss@10"


def test_facts_of_one_look_go_out_in_the_order_they_happened() -> None:
    """wandb commits a row when the next step comes: one look can bring a new best at 49 and a NaN at 50."""
    from runwise.domain.model import MetricSeries

    tracker = RunTracker(info=_info(), objective=Objective("val/loss", higher_is_better=False))
    tracker.append({"val/loss": MetricSeries("val/loss", np.arange(49), np.linspace(2, 1.6, 49))}, now=0)
    tracker.observe(new=tracker.series(), state="running", anomalies=(), now=0, next_seq=1)
    new = {"val/loss": MetricSeries("val/loss", np.array([49, 50]), np.array([1.5, math.nan]))}
    tracker.append(new, now=1)
    events = tracker.observe(new=new, state="crashed", anomalies=(), now=1, next_seq=7)
    assert [(e.seq, e.kind, e.step) for e in events] == [(7, "new_best", 49), (8, "nan_inf", 50), (9, "crashed", 50)]


def test_crash_says_how_far_the_run_got() -> None:
    tracker = RunTracker(info=_info(), config={"trainer": {"max_steps": 1500}})
    from runwise.domain.model import MetricSeries

    tracker.append({"loss": MetricSeries("loss", np.arange(872), np.ones(872))}, now=0)
    events = tracker.observe(new={}, state="crashed", anomalies=(), now=1, next_seq=1)
    assert [(e.kind, e.severity, e.message) for e in events] == [
        ("crashed", "critical", "crashed at step 871 (58% of the planned 1,500)")
    ]
    assert tracker.observe(new={}, state="crashed", anomalies=(), now=2, next_seq=2) == []


def test_jsonl_follower_reads_only_the_bytes_appended(tmp_path: Path) -> None:
    """A 1M-step log already on disk is read once; 10 appended points cost only their own bytes."""
    log = tmp_path / "big.jsonl"
    rng = np.random.default_rng(0)
    lines = [f'{{"step": {i}, "loss": {v:.6f}}}\n' for i, v in enumerate(rng.random(BIG))]
    log.write_text("".join(lines))
    follower = JsonlFollower(log)
    whole = follower.poll()
    assert whole.bytes_read == log.stat().st_size and len(whole.series["loss"]) == BIG
    tail = "".join(f'{{"step": {BIG + i}, "loss": 0.5}}\n' for i in range(10))
    with log.open("a") as out:
        out.write(tail + f'{{"step": {BIG + 10}, "lo')  # and half a line, still being written
    grown = follower.poll()
    assert grown.bytes_read == len(tail) + len(f'{{"step": {BIG + 10}, "lo')
    assert grown.series["loss"].steps.tolist() == list(range(BIG, BIG + 10))
    with log.open("a") as out:
        out.write('ss": 0.25}\n')
    finished_line = follower.poll()
    assert finished_line.series["loss"].steps.tolist() == [BIG + 10]
    assert finished_line.series["loss"].values.tolist() == [0.25]


def test_jsonl_follower_keeps_record_index_steps_across_polls(tmp_path: Path) -> None:
    log = tmp_path / "plain.jsonl"
    _append(log, [{"loss": 1.0}, {"loss": 0.9}])
    follower = JsonlFollower(log)
    assert follower.poll().series["loss"].steps.tolist() == [0, 1]
    _append(log, [{"loss": 0.8}])
    assert follower.poll().series["loss"].steps.tolist() == [2]


def test_jsonl_follower_reads_a_rewritten_file_anew(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    _append(log, _healthy(0, 50))
    follower = JsonlFollower(log)
    follower.poll()
    log.write_text(json.dumps({"step": 0, "train/loss": 3.0}) + "\n")
    again = follower.poll()
    assert again.series["train/loss"].values.tolist() == [3.0]
    assert any("shrank" in w for w in again.warnings)


def test_tensorboard_follower_reads_records_written_by_the_writer(tmp_path: Path) -> None:
    from tensorboardX import SummaryWriter

    from runwise.adapters.sources.tensorboard import TensorBoardRunSource

    writer = SummaryWriter(str(tmp_path / "exp"), max_queue=1, flush_secs=1)
    for step in range(100):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.flush()  # tensorboardX writes from a thread: its last records may land a moment later
    source = TensorBoardRunSource(tmp_path)
    follower = source.follow(source.list_runs()[0].id)
    steps, read = _poll_until(follower, "train/loss", 100)
    assert steps == list(range(100))
    assert read == _size(tmp_path / "exp")
    for step in range(100, 110):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.flush()
    steps, grown = _poll_until(follower, "train/loss", 10)
    assert steps == list(range(100, 110))
    assert grown == _size(tmp_path / "exp") - read  # only the appended records were read
    writer.close()


def _poll_until(follower: object, key: str, count: int) -> tuple[list[int], int]:
    import time

    steps: list[int] = []
    read = 0
    deadline = time.monotonic() + 10
    while len(steps) < count and time.monotonic() < deadline:
        increment = follower.poll()  # type: ignore[attr-defined]
        read += increment.bytes_read
        if key in increment.series:
            steps += increment.series[key].steps.tolist()
        else:
            time.sleep(0.02)
    return steps, read


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def test_reload_follower_gives_only_newer_points(tmp_path: Path) -> None:
    log = tmp_path / "train.jsonl"
    _append(log, _healthy(0, 20))
    source = JsonlRunSource(tmp_path)
    follower = ReloadFollower(source, "train")
    assert len(follower.poll().series["train/loss"]) == 20
    assert follower.poll().series == {}
    _append(log, _healthy(20, 25))
    assert follower.poll().series["train/loss"].steps.tolist() == [20, 21, 22, 23, 24]


def test_watching_a_folder_picks_up_new_runs(tmp_path: Path) -> None:
    _append(tmp_path / "a.jsonl", [{"step": 0, "val/loss": 1.0}])
    clock = Clock()
    watcher = _watcher(tmp_path, clock)
    watcher.start()
    assert {e.run_name for e in watcher.step()} == {"a"}
    _append(tmp_path / "b.jsonl", [{"step": 0, "val/loss": 2.0}])
    assert {e.run_name for e in watcher.step()} == {"b"}


@pytest.mark.parametrize("objective", ["val/acc"])
def test_an_explicit_objective_missing_from_the_run_gives_no_bests(tmp_path: Path, objective: str) -> None:
    _append(tmp_path / "t.jsonl", [{"step": 0, "val/loss": 1.0}])
    watcher = _watcher(tmp_path, Clock(), ref="t", objective=objective)
    watcher.start()
    assert watcher.step() == []
    assert watcher.runs["jsonl:t"].tracker.objective is None


def _info():  # type: ignore[no-untyped-def]
    from runwise.domain.model import RunInfo

    return RunInfo(id="r", name="r", source="jsonl")


def test_event_feed_returns_only_what_came_after_since(tmp_path: Path) -> None:
    from runwise.services.watch import EventFeeds

    log = tmp_path / "train.jsonl"
    _append(log, _healthy(0, 100))
    feeds = EventFeeds(Catalog([JsonlRunSource(tmp_path)]), DEFAULT_SCHEMA, _anomalies, clock=Clock())
    first = feeds.events("train")
    assert [e.kind for e in first.events] == ["new_best"] and first.next_since == 1
    assert feeds.events("train", since=first.next_since).events == ()
    _append(log, [{"step": 100, "train/loss": float("inf")}])
    page = feeds.events("train", since=first.next_since)
    assert [e.kind for e in page.events] == ["nan_inf"] and page.next_since == 2 and page.last_step == 100
    assert [e.seq for e in feeds.events("train", since=0).events] == [1, 2]  # the feed keeps what it said
