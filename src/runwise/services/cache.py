"""A small LRU of parsed runs keyed by the identity of the files behind them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from runwise.domain.model import Run


class RunCache:
    """Keeps the last `capacity` parsed runs; a run whose files changed (grew) is re-read."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Run] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}  # one gate per key being loaded: parse once, not N times
        self.hits = 0
        self.misses = 0

    def get_or_load(self, key: Hashable, load: Callable[[], Run]) -> Run:
        """The cached run, or `load()`; concurrent callers for one key wait for a single load."""
        with self._lock:
            run = self._hit(key)
            if run is not None:
                return run
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                run = self._hit(key)
                if run is not None:
                    return run
                self.misses += 1
            try:
                run = load()
            except BaseException:
                with self._lock:
                    self._loading.pop(key, None)
                raise
            with self._lock:
                self._items[key] = run
                self._loading.pop(key, None)
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        return run

    def _hit(self, key: Hashable) -> Run | None:
        run = self._items.get(key)
        if run is not None:
            self._items.move_to_end(key)
            self.hits += 1
        return run
