"""The Notifier port: telling someone outside the terminal what happened to a run."""

from __future__ import annotations

from typing import Protocol

from runwise.domain.watch import Alert


class NotifyFailed(Exception):
    """A notification could not be delivered; the message says why in one line."""


class Notifier(Protocol):
    """Delivers one alert. Raises NotifyFailed (never anything else) when it cannot; the caller goes on."""

    name: str

    def send(self, alert: Alert) -> None: ...
