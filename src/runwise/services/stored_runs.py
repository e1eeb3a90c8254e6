"""Parsed runs from the disk store while their files are unchanged; a grown log is read from where it stopped.

The store is keyed by what names a run (source, its parsing options, run id, path); the entry records the
source's fingerprint of the files (paths, sizes, mtimes, inodes) as they were when read. An entry is used only
when that fingerprint is unchanged. A source that can resume (JSONL: `load_run_resuming`) is handed the stored
run and its note, so an appended log costs only its new lines; the source itself checks that the old part is
byte-for-byte what it read before and parses from the start when it is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from runwise.domain.model import Run, RunInfo
from runwise.ports.run_source import RunSource
from runwise.ports.run_store import RunStore, StoredRun

Resume = Mapping[str, Any]


class StoredRuns:
    """Loads runs through a RunStore. `scope` separates entries written by different reader versions."""

    def __init__(self, store: RunStore, *, scope: str, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.scope = scope
        self.clock = clock

    def load(self, source: RunSource, info: RunInfo) -> Run:
        if not getattr(source, "disk_cache", True):
            return source.load_run(info.id)
        key = repr((self.scope, source.name, getattr(source, "cache_scope", None), info.id, info.path))
        identity = repr(source.fingerprint(info.id))
        entry = self.store.get(key)
        if entry is not None and entry.identity == identity:
            return entry.run
        resuming = getattr(source, "load_run_resuming", None)
        if resuming is not None:
            previous = (entry.run, entry.resume) if entry is not None and entry.resume is not None else None
            run, note = resuming(info.id, previous)
            self.store.put(key, StoredRun(run, identity, self.clock(), note))
            return run
        run = source.load_run(info.id)
        if repr(source.fingerprint(info.id)) == identity:  # changed while being read: do not keep a mix
            self.store.put(key, StoredRun(run, identity, self.clock(), None))
        return run
