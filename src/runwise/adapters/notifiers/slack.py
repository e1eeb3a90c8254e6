"""Slack incoming webhooks through the official slack-sdk, with Block Kit formatting."""

from __future__ import annotations

from typing import Any

from runwise.domain.errors import InvalidInput
from runwise.domain.watch import Alert
from runwise.ports.notifier import NotifyFailed

TIMEOUT_S = 5
_MARK = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
MAX_TEXT = 2900  # a section's text may hold 3,000 characters


def blocks(alert: Alert) -> list[dict[str, Any]]:
    """A header line with the severity mark and the title, the lines as one section, a link in the context."""
    head = f"{_MARK[alert.severity]} *{_escape(alert.title)}*"
    body = "\n".join(_escape(line) for line in alert.lines)
    out: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": (head + ("\n" + body if body else ""))[:MAX_TEXT]}}
    ]
    context = [f"severity: {alert.severity}"]
    if alert.event is not None and alert.event.step is not None:
        context.append(f"step {alert.event.step:,}")
    if alert.link:
        context.append(f"<{alert.link}|open the run>")
    out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]})
    return out


def fallback_text(alert: Alert) -> str:
    """The plain text Slack shows in notifications and where blocks cannot be shown."""
    return f"[{alert.severity}] {alert.title}: " + " ".join(alert.lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackNotifier:
    """Posts alerts to one incoming-webhook URL (RUNWISE_SLACK_WEBHOOK)."""

    name = "slack"

    def __init__(self, url: str) -> None:
        if not url.startswith(("https://", "http://")):
            raise InvalidInput("the Slack webhook is not a URL", "set RUNWISE_SLACK_WEBHOOK to the webhook's https URL")
        try:
            from slack_sdk.webhook import WebhookClient
        except ImportError as exc:
            raise InvalidInput(
                "Slack notifications need the slack-sdk package", "install it with: pip install 'runwise[slack]'"
            ) from exc
        self._client = WebhookClient(url, timeout=TIMEOUT_S)

    def send(self, alert: Alert) -> None:
        try:
            response = self._client.send(text=fallback_text(alert), blocks=blocks(alert))
        except Exception as exc:  # URLError, timeouts, TLS errors: all one line for the user
            raise NotifyFailed(f"Slack webhook unreachable ({type(exc).__name__}: {exc})") from exc
        if response.status_code != 200:
            raise NotifyFailed(f"Slack webhook answered {response.status_code}: {str(response.body)[:200]}")
