"""Notifiers. Slack cannot run here: a local HTTP server on 127.0.0.1 stands in for its incoming-webhook API,
and the tests assert the exact requests it received. The exec notifier runs a real command."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runwise.adapters.notifiers.command import CommandNotifier
from runwise.adapters.notifiers.slack import SlackNotifier
from runwise.domain.watch import Alert, WatchEvent, event_alert
from runwise.ports.notifier import NotifyFailed
from runwise.services.notify import Dispatcher


class FakeSlack:
    """Records each POST body; answers with `status` (and sleeps `delay` seconds first)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        self.status = 200
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                fake.bodies.append(json.loads(self.rfile.read(length)))
                time.sleep(fake.delay)
                self.send_response(fake.status)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError):  # the client gave up waiting (the timeout test)
                    self.wfile.write(b"ok" if fake.status == 200 else b"invalid_payload")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


def _event(seq: int = 1, kind: str = "anomaly", severity: str = "warning", episode: str | None = "loss_spike:loss@10"):  # type: ignore[no-untyped-def]
    return WatchEvent(
        seq=seq,
        kind=kind,  # type: ignore[arg-type]
        run="jsonl:exp/train",
        run_name="exp/train",
        severity=severity,  # type: ignore[arg-type]
        message="loss_spike: train/loss jumped ×8.1 at step 120",
        step=120,
        metric="train/loss",
        at=1.0,
        episode=episode,
    )


def test_slack_gets_block_kit_with_the_event_and_a_link(slack: FakeSlack) -> None:
    SlackNotifier(slack.url).send(event_alert(_event(), link="https://wandb.ai/team/proj/runs/abc"))
    assert slack.bodies == [
        {
            "text": "[warning] exp/train: anomaly: loss_spike: train/loss jumped ×8.1 at step 120",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": ":large_orange_circle: *exp/train: anomaly*\nloss_spike: train/loss jumped ×8.1 at step 120",
                    },
                },
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": "severity: warning · step 120 · <https://wandb.ai/team/proj/runs/abc|open the run>",
                        }
                    ],
                },
            ],
        }
    ]


def test_slack_text_is_escaped(slack: FakeSlack) -> None:
    SlackNotifier(slack.url).send(Alert(title="a<b>&c", lines=("x > y",)))
    section = slack.bodies[0]["blocks"][0]["text"]["text"]  # type: ignore[index]
    assert "a&lt;b&gt;&amp;c" in section and "x &gt; y" in section


def test_a_failing_webhook_is_one_line_and_the_next_event_is_still_sent(slack: FakeSlack) -> None:
    slack.status = 500
    dispatcher = Dispatcher([SlackNotifier(slack.url)])
    failures = dispatcher.dispatch([_event(1)])
    assert failures == ["slack: Slack webhook answered 500: invalid_payload"]
    slack.status = 200
    assert dispatcher.dispatch([_event(2, kind="crashed", severity="critical", episode=None)]) == []
    assert len(slack.bodies) == 2


def test_a_webhook_that_hangs_times_out_as_one_line(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    import runwise.adapters.notifiers.slack as module

    monkeypatch.setattr(module, "TIMEOUT_S", 0.3)
    slack.delay = 2.0
    started = time.monotonic()
    failures = Dispatcher([SlackNotifier(slack.url)]).dispatch([_event()])
    assert time.monotonic() - started < 1.8
    assert len(failures) == 1 and failures[0].startswith("slack: Slack webhook unreachable (")


def test_the_same_event_is_sent_once_and_quiet_kinds_not_at_all(slack: FakeSlack) -> None:
    dispatcher = Dispatcher([SlackNotifier(slack.url)])
    dispatcher.dispatch([_event(1), _event(2)])  # a repeat of the same episode
    dispatcher.dispatch([_event(3, kind="new_best", severity="info", episode=None)])
    dispatcher.dispatch([_event(4, kind="escalated", severity="critical")])  # the escalation goes once more
    assert [b["text"][:20] for b in slack.bodies] == ["[warning] exp/train:", "[critical] exp/train"]  # type: ignore[index]


def test_bursts_are_held_back_and_counted_in_the_next_notice(slack: FakeSlack) -> None:
    clock = [0.0]
    dispatcher = Dispatcher([SlackNotifier(slack.url)], per_minute=2, clock=lambda: clock[0])
    events = [_event(i, episode=f"loss_spike:loss@{i}") for i in range(5)]
    dispatcher.dispatch(events)
    assert len(slack.bodies) == 2
    clock[0] = 61.0
    dispatcher.dispatch([_event(9, episode="loss_spike:loss@99")])
    assert len(slack.bodies) == 3
    assert "(+3 earlier events held back by the rate limit)" in slack.bodies[-1]["text"]  # type: ignore[operator]


def test_exec_gets_the_event_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    script = f"import sys, pathlib; pathlib.Path({str(out)!r}).write_text(sys.stdin.read())"
    CommandNotifier(f"{sys.executable} -c {json.dumps(script)}").send(event_alert(_event()))
    got = json.loads(out.read_text())
    assert got["event"]["kind"] == "anomaly" and got["event"]["step"] == 120 and got["severity"] == "warning"
    assert got["title"] == "exp/train: anomaly"


def test_exec_failure_is_reported(tmp_path: Path) -> None:
    notifier = CommandNotifier(f"{sys.executable} -c 'import sys; sys.exit(\"no route\")'")
    with pytest.raises(NotifyFailed, match="exited 1 no route"):
        notifier.send(Alert(title="t", lines=()))
    with pytest.raises(NotifyFailed, match="failed"):
        CommandNotifier("/nonexistent/notify-me").send(Alert(title="t", lines=()))


def test_alerts_name_keys_by_their_display_names(slack: FakeSlack) -> None:
    from runwise.domain.labels import KeyLabels

    dispatcher = Dispatcher([SlackNotifier(slack.url)], labels=KeyLabels({"train/loss": "Training loss"}))
    assert dispatcher.dispatch([_event()]) == []
    (body,) = slack.bodies
    assert body["text"] == "[warning] exp/train: anomaly: loss_spike: Training loss jumped ×8.1 at step 120"
