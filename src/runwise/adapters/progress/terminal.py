"""A progress bar on stderr (tqdm) for a run whose reading takes longer than half a second.

Shown only when the CLI's stderr is a terminal and -q is not given; the MCP server never gets one (its stdout
is the protocol, and nobody watches its stderr). A watcher thread waits `delay` seconds; a read that ends
sooner shows nothing at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from runwise.adapters.progress.positions import ReadTracker, run_files

DELAY_S = 0.5
INTERVAL_S = 0.1


class TerminalReadProgress:
    """ReadProgress for a terminal: a bar with bytes read, rate and time left, removed when the read ends."""

    def __init__(self, stream: TextIO, *, delay: float = DELAY_S, interval: float = INTERVAL_S) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval

    @contextmanager
    def reading(self, label: str, path: str | None) -> Iterator[object]:
        finished = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(label, path, finished), daemon=True)
        watcher.start()
        try:
            yield None
        finally:
            finished.set()
            watcher.join()

    def _watch(self, label: str, path: str | None, finished: threading.Event) -> None:
        if finished.wait(self.delay):
            return
        try:
            from tqdm import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency; a broken install still reads the run
            return
        tracker = ReadTracker(run_files(path))
        total = tracker.total or None
        with tqdm(
            total=total,
            desc=f"reading {label}",
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=self.stream,
            leave=False,
            dynamic_ncols=True,
        ) as bar:
            while True:
                done = tracker.done()
                if done is not None and total:
                    bar.update(done - bar.n)
                else:
                    bar.refresh()
                if finished.wait(self.interval):
                    break
