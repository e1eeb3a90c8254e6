"""`runwise watch`, `notify`, `github` and `cost` as a user runs them, and get_run_events over MCP.

Logs are appended while `runwise watch` runs in a child process: JSONL lines by this test, TensorBoard records
by tensorboardX's writer. Slack and GitHub cannot be reached from here: local HTTP servers on 127.0.0.1 stand
in for their APIs (tests/unit/test_notify.py and test_vcs.py) and the requests they receive are asserted.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import pytest

from tests.frameworks.staged_writer import StagedWriter
from tests.unit.test_notify import FakeSlack
from tests.unit.test_vcs import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]


def _row(step: int, loss: float, val: float | None = None) -> str:
    row: dict[str, Any] = {"step": step, "train/loss": loss, "_timestamp": 1_780_000_000 + step}
    if val is not None:
        row["val/loss"] = val
    return json.dumps(row) + "\n"


class Watch:
    """`runwise --format json watch ...` in a child process; its stdout lines arrive on a queue with their time."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runwise", "--format", "json", "watch", *args],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
        )  # fmt: skip
        self.lines: Queue[tuple[float, dict[str, Any]]] = Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), json.loads(line)))

    def next(self, timeout: float = 20.0) -> tuple[float, dict[str, Any]]:
        try:
            return self.lines.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"no event within {timeout}s; stderr: {self._stderr()}") from None

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "train.jsonl").write_text(
        "".join(_row(s, 2 * math.exp(-s / 50), 2.0 if s == 0 else None) for s in range(40))
    )
    return folder


def test_each_appended_fact_arrives_once_in_order_within_two_seconds(logs: Path) -> None:
    watch = Watch(logs, "train", "--until", "critical", "--poll", "0.2")
    try:
        _, first = watch.next()
        assert (first["kind"], first["metric"]) == ("new_best", "val/loss")
        with (logs / "train.jsonl").open("a") as out:
            out.write(_row(40, 0.3, val=1.5))
            out.flush()
            written = time.monotonic()
        seen, best = watch.next()
        assert best["kind"] == "new_best" and best["step"] == 40 and best["seq"] == 2
        assert seen - written < 2.0
        with (logs / "train.jsonl").open("a") as out:
            out.write(_row(41, float("nan")))
            out.flush()
            written = time.monotonic()
        seen, nan = watch.next()
        assert (nan["kind"], nan["severity"], nan["step"], nan["seq"]) == ("nan_inf", "critical", 41, 3)
        assert seen - written < 2.0
        assert watch.proc.wait(timeout=20) == 1  # --until critical: exit 1
        assert watch.lines.empty()  # nothing said twice
    finally:
        watch.close()


def test_tensorboard_records_from_the_writer_arrive_as_events(tmp_path: Path) -> None:
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "tb" / "exp"), max_queue=1, flush_secs=1)
    for step in range(20):
        writer.add_scalar("val/loss", 1.0 / (step + 1), step)
    writer.flush()
    watch = Watch(tmp_path / "tb", "--poll", "0.2", "--for", "60", "--until", "critical")
    try:
        _, first = watch.next()
        assert first["kind"] == "new_best" and first["metric"] == "val/loss"
        writer.add_scalar("val/loss", float("inf"), 20)
        writer.flush()
        written = time.monotonic()
        while True:
            seen, event = watch.next()
            if event["kind"] == "nan_inf":
                break
        assert event["step"] == 20 and "+Inf" in event["message"]
        assert seen - written < 2.0
        assert watch.proc.wait(timeout=20) == 1
    finally:
        writer.close()
        watch.close()


def test_mlflow_rows_logged_by_the_client_arrive_once_in_order(staged_writer: StagedWriter, tmp_path: Path) -> None:
    """The real `mlflow` client logs into a sqlite store from another process while `runwise watch` follows it."""
    uri = staged_writer.sqlite_store(tmp_path / "mlflow.db")

    def log(rows: list[list[Any]], status: str | None = None) -> float:
        staged_writer.send({"op": "mlflow", "uri": uri, "name": "live", "rows": rows, "status": status})
        return time.monotonic()

    log([[s, {"train/loss": 2 * math.exp(-s / 10), "val/loss": 2.0 - s / 100}] for s in range(20)])
    watch = Watch(tmp_path, "--poll", "0.2", "--for", "120", "--until", "finished")
    try:
        _, first = watch.next(timeout=60)
        assert (first["kind"], first["metric"], first["step"], first["seq"]) == ("new_best", "val/loss", 19, 1)
        written = log([[20, {"train/loss": 0.2, "val/loss": 1.5}]])
        seen, best = watch.next()
        assert (best["kind"], best["step"], best["seq"]) == ("new_best", 20, 2) and seen - written < 2.0
        written = log([[21, {"train/loss": math.nan}]])
        seen, nan = watch.next()
        assert (nan["kind"], nan["step"], nan["seq"]) == ("nan_inf", 21, 3) and seen - written < 2.0
        written = log([], status="FINISHED")
        seen, done = watch.next()
        assert (done["kind"], done["seq"]) == ("finished", 4) and seen - written < 2.0
        assert watch.proc.wait(timeout=20) == 1  # finished, but a critical event was seen
        assert watch.lines.empty()  # each fact once
    finally:
        watch.close()


def test_a_finished_run_ends_the_watch_with_exit_0(tmp_path: Path) -> None:
    from tests.contract.seeders.wandb import write_runs

    write_runs(
        {"runs": [{"id": "fin1", "name": "fin", "rows": [[s, {"val/loss": 1 / (s + 1)}] for s in range(5)]}]}, tmp_path
    )
    watch = Watch(tmp_path, "--until", "finished", "--poll", "0.2")
    try:
        kinds = []
        while not kinds or kinds[-1] != "finished":
            kinds.append(watch.next()[1]["kind"])
        assert kinds[-1] == "finished"
        assert watch.proc.wait(timeout=20) == 0
    finally:
        watch.close()


def test_notify_exec_and_a_failing_slack_never_stop_the_watch(logs: Path, tmp_path: Path) -> None:
    slack = FakeSlack()
    slack.status = 500
    got = tmp_path / "got.jsonl"
    script = f"import sys; open({str(got)!r}, 'a').write(sys.stdin.read() + chr(10))"
    with (logs / "train.jsonl").open("a") as out:
        out.write(_row(40, float("nan")))
    watch = Watch(
        logs, "train", "--poll", "0.2", "--until", "critical",
        "--notify", "slack", "--notify", f"exec:{sys.executable} -c {json.dumps(script)}",
        env={"RUNWISE_SLACK_WEBHOOK": slack.url},
    )  # fmt: skip
    try:
        kinds = [watch.next()[1]["kind"] for _ in range(2)]
        assert "nan_inf" in kinds
        assert watch.proc.wait(timeout=20) == 1
        assert "warning: slack: Slack webhook answered 500" in watch._stderr()
        sent = [json.loads(line) for line in got.read_text().splitlines()]
        assert [s["event"]["kind"] for s in sent] == ["nan_inf"]  # new bests are not pinged
        assert len(slack.bodies) == 1 and slack.bodies[0]["text"].startswith("[critical] train: nan inf")
    finally:
        watch.close()
        slack.close()


def test_notify_slack_sends_the_run_summary(logs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from runwise.entrypoints.cli.main import main

    slack = FakeSlack()
    try:
        monkeypatch.setenv("RUNWISE_SLACK_WEBHOOK", slack.url)
        out = StringIO()
        assert main(["--dir", str(logs), "notify", "slack", "train"], stdout=out) == 0
        assert out.getvalue() == "sent the summary of logs/train to slack\n"
        body = slack.bodies[0]
        assert body["text"].startswith("[info] logs/train · unknown: Training reached step 39.")
        assert body["blocks"][0]["text"]["text"].startswith(
            ":large_blue_circle: *logs/train · unknown*\nTraining reached"
        )
    finally:
        slack.close()


def test_github_comment_posts_then_updates_the_report(logs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from io import StringIO

    from runwise.entrypoints.cli.main import main

    github = FakeGitHub()
    try:
        monkeypatch.setenv("GITHUB_TOKEN", "tok")
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        argv = ["--dir", str(logs), "github", "comment", "train", "--pr", "7", "--repo", "acme/trainer"]
        out = StringIO()
        assert main(argv, stdout=out) == 0
        assert main(argv, stdout=out) == 0
        assert out.getvalue().splitlines() == [
            "created the Runwise comment on acme/trainer#7: u2",
            "updated the Runwise comment on acme/trainer#7: u2",
        ]
        posted = github.requests[1]
        assert posted[0] == "POST" and posted[1] == "/repos/acme/trainer/issues/7/comments"
        assert posted[2]["body"].startswith("<!-- runwise:summary -->\n")
        assert "train" in posted[2]["body"]
        assert github.requests[3][0] == "PATCH"
        out = StringIO()  # declared like every capability: --format json is its structured result
        assert main(["--format", "json", *argv], stdout=out) == 0
        posted_json = json.loads(out.getvalue())
        assert {k: posted_json[k] for k in ("action", "repo", "pr", "url")} == {
            "action": "updated",
            "repo": "acme/trainer",
            "pr": 7,
            "url": "u2",
        }
        assert [r["name"] for r in posted_json["runs"]] == ["logs/train"]
    finally:
        github.server.shutdown()
        github.server.server_close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_get_run_events_over_mcp_returns_only_what_is_new(logs: Path) -> None:
    from mcp import Client

    from runwise.bootstrap import bootstrap
    from runwise.config import Settings
    from runwise.entrypoints.mcp.server import build_server

    app = bootstrap(Settings(dir=logs, cache=False))
    async with Client(build_server(app), raise_exceptions=True) as client:
        first = await client.call_tool("get_run_events", {"run": "train"})
        data = first.structured_content
        assert data is not None and [e["kind"] for e in data["events"]] == ["new_best"]
        since = data["next_since"]
        again = await client.call_tool("get_run_events", {"run": "train", "since": since})
        assert again.structured_content["events"] == []  # type: ignore[index]
        with (logs / "train.jsonl").open("a") as out:
            out.write(_row(40, float("nan")))
        new = await client.call_tool("get_run_events", {"run": "train", "since": since})
        events = new.structured_content["events"]  # type: ignore[index]
        assert [(e["kind"], e["step"]) for e in events] == [("nan_inf", 40)]
        assert "critical nan_inf: train/loss is NaN at step 40" in new.content[0].text  # type: ignore[union-attr]
        wrong = await client.call_tool("get_run_events", {"run": "train", "start": 3})
        assert wrong.is_error


def test_cost_cli_on_a_real_wandb_run_checked_by_hand(tmp_path: Path) -> None:
    from io import StringIO

    from runwise.adapters.sources.wandb_local import WandbLocalRunSource
    from runwise.entrypoints.cli.main import main

    examples = ROOT / "examples" / "wandb"
    source = WandbLocalRunSource(examples)
    info = source.list_runs()[0]
    out = StringIO()
    assert (
        main(["--dir", str(examples), "--format", "json", "cost", info.id, "--gpu", "T4", "--count", "4"], stdout=out)
        == 0
    )
    data = json.loads(out.getvalue())
    runtime = source.load_run(info.id).info.runtime_s
    assert data["runs"][0]["cost_usd"] == pytest.approx(runtime / 3600 * 4 * 0.53)
    assert data["runs"][0]["origin"] == "flags" and data["prices_as_of"] == "2026-06"


WANDB_CHILD = r"""
import math, sys, wandb
run = wandb.init(project="watch", name="live", mode="offline")
for step in range(50):
    wandb.log({"val/loss": 2.0 - step / 100}, step=step)
print("PHASE1", flush=True)
sys.stdin.readline()
wandb.log({"val/loss": math.nan}, step=50)
wandb.log({"val/loss": 1.0}, step=51)  # wandb commits a row when the next step is logged
print("PHASE2", flush=True)
sys.stdin.readline()
run.finish(exit_code=3)
"""


def _grown(path: Path, size: int, seconds: float = 60.0) -> float:
    """The moment `path` grows past `size`: when wandb's own writer put the new records on disk."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.stat().st_size > size:
            return time.monotonic()
        time.sleep(0.01)
    raise AssertionError(f"{path.name} did not grow within {seconds}s")


@pytest.mark.slow
def test_wandb_records_written_by_wandb_offline_arrive_once_in_order_within_two_seconds(tmp_path: Path) -> None:
    """The real `wandb` package (offline, in a child process) writes a run while `runwise watch` follows it."""
    from tests.contract.seeders.wandb import live_run

    with live_run(WANDB_CHILD, tmp_path) as child:
        child.expect("PHASE1")
        path = next((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
        watch = Watch(tmp_path, "--poll", "0.2", "--for", "120", "--until", "finished")
        try:
            events = [watch.next(timeout=60)[1]]
            assert (events[0]["kind"], events[0]["metric"]) == ("new_best", "val/loss")

            size = path.stat().st_size
            child.go()
            written = _grown(path, size)
            while events[-1]["kind"] != "nan_inf":
                seen, event = watch.next()
                events.append(event)
            assert events[-1]["step"] == 50 and events[-1]["severity"] == "critical"
            assert seen - written < 2.0

            child.expect("PHASE2")
            size = path.stat().st_size
            child.go()
            written = _grown(path, size)
            while events[-1]["kind"] not in ("finished", "crashed"):
                seen, event = watch.next()
                events.append(event)
            assert events[-1]["kind"] == "crashed" and seen - written < 2.0
            assert child.proc.wait(timeout=60) == 0
            assert watch.proc.wait(timeout=20) == 1  # a critical event was seen
            assert watch.lines.empty()
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
            steps = [e["step"] for e in events]
            assert steps == sorted(steps)  # in the order they happened in the run
            facts = [(e["kind"], e.get("metric"), e.get("step")) for e in events]
            assert len(facts) == len(set(facts))  # each fact once
        finally:
            watch.close()
