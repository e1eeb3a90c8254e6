"""Parsed runs from the disk store while their files are unchanged; a grown log is read from where it stopped.

The store is keyed by what names a run (reader version, source, its parsing options, run id, path); the entry
records the source's fingerprint of the files (paths, sizes, mtimes, inodes) as they were when read. An entry is
used only when that fingerprint is unchanged. A source that can resume (JSONL: `load_run_resuming`) is handed
the stored run and its note, so an appended log costs only its new lines; the source itself checks that the old
part is byte-for-byte what it read before and parses from the start when it is not.

Results derived from a run (its analysis) are kept beside it under the run's key and fingerprint, so a second
call on an unchanged run neither parses nor analyses it again.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from runwise.domain.model import Run, RunInfo
from runwise.domain.schema import MetricSchema
from runwise.ports.run_source import RunSource
from runwise.ports.run_store import RunStore, StoredRun

Resume = Mapping[str, Any]
T = TypeVar("T")


class StoredRuns:
    """Loads runs through a RunStore. `scope` separates entries written by different versions of the code."""

    def __init__(self, store: RunStore, *, scope: str, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.scope = scope
        self.clock = clock
        self._stamps: dict[int, tuple[weakref.ref[Run], str]] = {}  # id(run) -> what the run was read from
        self._lock = threading.Lock()

    def load(self, source: RunSource, info: RunInfo) -> Run:
        if not getattr(source, "disk_cache", True):
            return source.load_run(info.id)
        key = repr((self.scope, source.name, getattr(source, "cache_scope", None), info.id, info.path))
        identity = repr(source.fingerprint(info.id))
        entry = self.store.get(key)
        if entry is not None and entry.identity == identity:
            return self._stamped(entry.run, key, identity)
        resuming = getattr(source, "load_run_resuming", None)
        if resuming is not None:
            previous = (entry.run, entry.resume) if entry is not None and entry.resume is not None else None
            run, note = resuming(info.id, previous)
            self.store.put(key, StoredRun(run, identity, self.clock(), note))
            # a file that grew while being read holds more than `identity` says: its results are not kept
            return self._stamped(run, key, identity) if repr(source.fingerprint(info.id)) == identity else run
        run = source.load_run(info.id)
        if repr(source.fingerprint(info.id)) != identity:  # changed while being read: do not keep a mix
            return run
        self.store.put(key, StoredRun(run, identity, self.clock(), None))
        return self._stamped(run, key, identity)

    def remember(self, run: Run, name: str, params: str, compute: Callable[[], T]) -> T:
        """`compute()`, kept with the run when the run came from (or went to) the store unchanged."""
        with self._lock:
            found = self._stamps.get(id(run))
        if found is None or found[0]() is not run:
            return compute()
        key = repr((found[1], name, params))
        value = self.store.get_result(key)
        if value is None:
            value = compute()
            self.store.put_result(key, value)
        return value  # type: ignore[return-value]

    def _stamped(self, run: Run, key: str, identity: str) -> Run:
        ident = id(run)

        def forget(_ref: object) -> None:
            with self._lock:
                self._stamps.pop(ident, None)

        with self._lock:
            self._stamps[ident] = (weakref.ref(run, forget), repr((key, identity)))
        return run


class RememberedAnalyzer:
    """An analyzer whose answers are kept with the run they came from (see StoredRuns.remember); what is built
    from its answers (a run's summary) may be kept too, under `kept_as`."""

    kept_as = "analysis"

    def __init__(self, stored: StoredRuns, analyzer: Callable[[Run, MetricSchema], Any]) -> None:
        self.stored = stored
        self.analyzer = analyzer

    def __call__(self, run: Run, schema: MetricSchema) -> Any:
        return self.stored.remember(run, "analysis", repr(schema), lambda: self.analyzer(run, schema))
