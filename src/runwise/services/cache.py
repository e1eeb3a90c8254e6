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
        self.hits = 0
        self.misses = 0

    def get_or_load(self, key: Hashable, load: Callable[[], Run]) -> Run:
        with self._lock:
            run = self._items.get(key)
            if run is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return run
            self.misses += 1
        run = load()
        with self._lock:
            self._items[key] = run
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return run
