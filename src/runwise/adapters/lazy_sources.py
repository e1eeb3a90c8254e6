"""Local sources imported only when a folder holds files that may be theirs.

Every call discovers runs with all eleven local sources, and importing them all cost a cold CLI call ~70 ms
(`python -X importtime`: the W&B reader alone ~33 ms) for a folder holding, say, one JSONL log. A `LazySource`
stands in for one source: it answers "no runs" from one shared walk of the root's file and folder names
(`FolderNames`) and imports its reader only when a name matches what that source could read. The names are a
superset test (a `.csv` may be a Lightning, Keras or Ultralytics log, or none), never a parse: the source
itself still decides what is a run.

A source whose discovery never looks inside some folders (the text and CSV readers pass over `wandb/`, `mlruns/`...)
says so (`skips`), and names inside those folders do not import it: a W&B run folder's `debug.log` and
`requirements.txt` imported the CSV and text readers for nothing (in-process `list_runs` of the 100k-step W&B
bench folder: 5.9 ms for the CSV readers, 3.5 ms for the text reader).

Once a source is imported it stays; until then every listing looks again (one walk serves all the sources of a
root within REFRESH_S), so a long-lived server finds a tracker that starts writing under its roots later.
A root that is a file is not probed: its source is imported at once.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from runwise.adapters.fs import walk
from runwise.domain.errors import RunNotFound
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.notices import Notice
from runwise.domain.shared_repr import fields_repr
from runwise.ports.run_source import RunSource

REFRESH_S = 1.0  # one walk answers the probes of one listing: the sources are asked one after another


def _never(_name: str) -> bool:
    return False


@attrs.frozen
class SourceSpec:
    """One local source: its name, the module implementing it, how to build it over a root, and which file or
    folder names may belong to one of its runs (checked against every name under the root, the root's own
    name and its parents' names included)."""

    __repr__ = fields_repr

    name: str
    module: str
    make: Callable[[Any, Path], RunSource]  # (the imported module, root) -> the source
    files: Callable[[str], bool] = _never
    folders: Callable[[str], bool] = _never
    skips: frozenset[str] = frozenset()  # folders whose files the source's discovery never reads

    def build(self, root: Path) -> RunSource:
        return self.make(importlib.import_module(self.module), root)

    def may_hold(self, names: FolderNames) -> bool:
        by_region, folders = names.current()
        files = (name for region, found in by_region.items() if region not in self.skips for name in found)
        return any(map(self.files, files)) or any(map(self.folders, folders))


class FolderNames:
    """The distinct file and folder names at or below a root (walked as discovery walks, without its per-source
    skips), re-walked when older than REFRESH_S.

    File names are filed by region: the outermost of the `skippable` folders they lie in (None: in none), so that
    a source that skips a folder is not imported for the names inside it.
    """

    def __init__(
        self, root: Path, clock: Callable[[], float] | None = None, skippable: frozenset[str] = frozenset()
    ) -> None:
        self.root = root
        self.clock = clock or time.monotonic
        self.skippable = skippable
        self._seen: tuple[float, dict[str | None, frozenset[str]], frozenset[str]] | None = None

    def current(self) -> tuple[Mapping[str | None, frozenset[str]], frozenset[str]]:
        now = self.clock()
        if self._seen is None or now - self._seen[0] > REFRESH_S:
            files: dict[str | None, set[str]] = {}
            folders: set[str] = {part for part in self.root.resolve().parts}
            base = len(self.root.parts)
            for folder, dirs, names in walk(self.root):
                region = next((part for part in folder.parts[base:] if part in self.skippable), None)
                files.setdefault(region, set()).update(names)
                folders.update(dirs)
            self._seen = (now, {k: frozenset(v) for k, v in files.items()}, frozenset(folders))
        return self._seen[1], self._seen[2]


class LazySource:
    """A RunSource that imports its reader once the root holds a name it could read; until then it lists no runs.

    Optional capabilities of the real source (`follow`, `load_run_resuming`, `cache_scope`, ...) are reached
    through attribute lookup, which imports the source when its names are present and is an AttributeError
    when they are not (no runs: nothing to follow)."""

    def __init__(self, spec: SourceSpec, root: Path, names: FolderNames) -> None:
        self.name = spec.name
        self.spec = spec
        self.root = root
        self.names = names
        self._real: RunSource | None = None

    def _source(self) -> RunSource | None:
        if self._real is None and (not self.root.is_dir() or self.spec.may_hold(self.names)):
            self._real = self.spec.build(self.root)
        return self._real

    def _required(self, run_id: str) -> RunSource:
        real = self._source()
        if real is None:
            raise RunNotFound(f"no {self.name} run '{run_id}' under {self.root}")
        return real

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        real = self._source()
        return real.list_runs(project=project, limit=limit) if real is not None else []

    def load_run(self, run_id: str) -> Run:
        return self._required(run_id).load_run(run_id)

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return self._required(run_id).load_series(run_id, keys)

    def fingerprint(self, run_id: str) -> Hashable:
        return self._required(run_id).fingerprint(run_id)

    def notices(self) -> Sequence[Notice]:
        report = getattr(self._real, "notices", None)  # only a source that listed can have passed something over
        return list(report()) if report is not None else []

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in {"spec", "root", "names", "_real"}:  # never while half-built
            raise AttributeError(name)
        real = self._source()
        if real is None:
            raise AttributeError(name)
        return getattr(real, name)

    def __repr__(self) -> str:
        state = "imported" if self._real is not None else "not imported"
        return f"LazySource({self.name!r}, {str(self.root)!r}, {state})"


def lazy_sources(root: Path, specs: Sequence[SourceSpec]) -> list[RunSource]:
    """One LazySource per spec over `root`, sharing one walk of its names."""
    names = FolderNames(root, skippable=frozenset().union(*(spec.skips for spec in specs)))
    return [LazySource(spec, root, names) for spec in specs]
