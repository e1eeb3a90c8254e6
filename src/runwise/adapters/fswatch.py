"""Waiting for log files to change: file-system events (watchdog, optional) with a polling fallback.

With events, a watch that sees no change sleeps in the kernel and costs no CPU; without watchdog installed it
looks every `POLL_S` seconds, which costs a few `stat`/`read` calls per watched run each time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

POLL_S = 1.0


class PollingWaiter:
    """Sleeps `interval` seconds (or less, when the timeout is shorter)."""

    def __init__(self, interval: float = POLL_S) -> None:
        self.interval = interval

    def wait(self, paths: Sequence[str], timeout: float) -> None:
        time.sleep(max(0.0, min(self.interval, timeout)))

    def close(self) -> None:
        pass


class EventWaiter:
    """Wakes on any file-system event in the folders that hold the watched paths."""

    def __init__(self) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        changed = self.changed = threading.Event()

        class _Wake(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if event.event_type not in ("opened", "closed_no_write"):  # reads (our own) are not news
                    changed.set()

        self._handler = _Wake()
        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()
        self._folders: dict[str, Any] = {}

    def _follow(self, paths: Sequence[str]) -> None:
        for raw in paths:
            path = Path(raw)
            folder = str(path if path.is_dir() else path.parent)
            if folder not in self._folders:
                try:
                    self._folders[folder] = self._observer.schedule(self._handler, folder, recursive=True)
                except OSError:
                    continue  # gone or unwatchable: the timeout still wakes us

    def wait(self, paths: Sequence[str], timeout: float) -> None:
        self._follow(paths)
        self.changed.wait(max(0.0, timeout))
        self.changed.clear()

    def close(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=2)


def change_waiter(poll_s: float | None = None) -> PollingWaiter | EventWaiter:
    """Events when watchdog is installed (the `watch` extra) and no polling interval was asked for."""
    if poll_s is not None:
        return PollingWaiter(poll_s)
    try:
        return EventWaiter()
    except (ImportError, OSError):
        return PollingWaiter()
