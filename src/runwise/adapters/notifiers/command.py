"""A command run for each alert, with the alert as one JSON object on its stdin (`--notify exec:CMD`)."""

from __future__ import annotations

import json
import shlex
import subprocess

from runwise.domain.errors import InvalidInput
from runwise.domain.watch import Alert
from runwise.ports.notifier import NotifyFailed

TIMEOUT_S = 30


class CommandNotifier:
    """Runs `command` (split like a shell would, but without a shell) once per alert."""

    name = "exec"

    def __init__(self, command: str) -> None:
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise InvalidInput(f"cannot split the notify command: {exc}", "quote it like a shell command") from exc
        if not self.argv:
            raise InvalidInput("the notify command is empty", "give a command after exec:, e.g. exec:'notify-send'")

    def send(self, alert: Alert) -> None:
        payload = json.dumps(alert.as_dict(), allow_nan=True)
        try:
            done = subprocess.run(
                self.argv, input=payload, text=True, capture_output=True, timeout=TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotifyFailed(f"notify command {self.argv[0]!r} failed: {exc}") from exc
        if done.returncode != 0:
            err = done.stderr.strip().splitlines()[-1:] or [""]
            raise NotifyFailed(f"notify command {self.argv[0]!r} exited {done.returncode} {err[0][:200]}".rstrip())
