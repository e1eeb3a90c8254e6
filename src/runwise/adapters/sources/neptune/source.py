"""NeptuneRunSource: every form of Neptune data people still hold, after the hosted service shut down.

- neptune 1.x offline folders (and async folders never synced): `.neptune/offline/run__<id>__...`
- neptune-scale operation databases: `run_operations.sqlite3`
- neptune-exporter Parquet exports: `<run id>_part_<n>.parquet`

Run ids are Neptune's: the container id of an offline run, the run id (custom run id) of a
neptune-scale run or an export. REF `neptune:<run id>`, the run's name (`sys/name`), or its path.
Nothing is written next to the data; no `neptune` package is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from pathlib import Path

from runwise.adapters.allocator import reuse_freed_memory
from runwise.adapters.collector import collector_paused
from runwise.adapters.fs import file_identity, newest_first, walk
from runwise.adapters.sources.neptune.export import group_parts, read_export
from runwise.adapters.sources.neptune.offline import data_logs, is_offline_folder, peek_offline, read_offline
from runwise.adapters.sources.neptune.record import SCALE_FILE_NAME, NeptuneRun
from runwise.domain.errors import MissingExtra, RunNotFound
from runwise.domain.hints import list_runs_hint, spell
from runwise.domain.model import MetricSeries, Run, RunInfo, select_series
from runwise.domain.notices import Notice, unreadable_store

_OTHER_TRACKERS = {"wandb", "mlruns", ".aim"}


class _Found:
    """One run's files on disk, before they are read."""

    def __init__(self, form: str, files: list[Path], anchor: Path) -> None:
        self.form = form
        self.files = files
        self.anchor = anchor  # the folder or file that is the run

    def identity(self) -> Hashable:
        return file_identity(self.files)


_Kept = dict[Path, tuple[Hashable, NeptuneRun | Exception]]


def _kept(store: _Kept, found: _Found, parse: Callable[[], NeptuneRun]) -> NeptuneRun:
    """`parse()` of `found`, kept in `store` until its files change. A failure is kept too and raised again, so
    listing can pass over a damaged run without reading it twice and loading can report it."""
    identity = found.identity()
    kept = store.get(found.anchor)
    if kept is None or kept[0] != identity:
        result: NeptuneRun | Exception
        try:
            result = parse()
        except Exception as exc:
            result = exc
        kept = (identity, result)
        store[found.anchor] = kept
    if isinstance(kept[1], Exception):
        raise kept[1]
    return kept[1]


def _parse(found: _Found, now: float) -> NeptuneRun:
    """Every point of one run, in its form."""
    with collector_paused(), reuse_freed_memory():
        if found.form == "offline":
            return read_offline(found.anchor, now=now)
        if found.form == "scale":
            from runwise.adapters.sources.neptune.scale import read_scale  # sqlite3 and protobuf tables: ~5-10 ms

            return read_scale(found.anchor, now=now)
        return read_export(found.files)


def _peek(found: _Found, now: float) -> NeptuneRun:
    """What a listing shows of an offline run (see `peek_offline`)."""
    with collector_paused(), reuse_freed_memory():
        return peek_offline(found.anchor, now=now)


class NeptuneRunSource:
    """A RunSource over Neptune offline folders, neptune-scale databases and neptune-exporter Parquet under `root`."""

    name = "neptune"

    def __init__(self, root: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.root = Path(root)
        self.clock = clock
        self._parsed: _Kept = {}
        self._peeked: _Kept = {}

    # discovery -------------------------------------------------------------------------------
    def _found(self) -> list[_Found]:
        if self.root.is_file():
            return self._found_in(self.root.parent, [self.root.name], only=self.root)
        out: list[_Found] = []
        for folder, _dirs, files in walk(self.root, skip=lambda d: d in _OTHER_TRACKERS):
            out.extend(self._found_in(folder, files))
        return out

    @staticmethod
    def _found_in(folder: Path, files: list[str], only: Path | None = None) -> list[_Found]:
        out: list[_Found] = []
        in_neptune = folder.parent.name in {"offline", "async"} and folder.parent.parent.name == ".neptune"
        if in_neptune and is_offline_folder(folder):
            out.append(_Found("offline", [*data_logs(folder), folder / "metadata.json"], folder))
        if SCALE_FILE_NAME in files:
            db = folder / SCALE_FILE_NAME
            out.append(_Found("scale", [db, db.with_name(SCALE_FILE_NAME + "-wal")], db))
        for parts in group_parts(folder, files).values():
            if only is None or only in parts:
                out.append(_Found("export", parts, parts[0]))
        return out

    def _read(self, found: _Found) -> NeptuneRun:
        """Parse a run's files, cached until they change; a failure is cached and raised again."""
        return _kept(self._parsed, found, lambda: _parse(found, self.clock()))

    def _listed(self, found: _Found) -> NeptuneRun:
        """What listing needs of a run: an offline folder is peeked at (its points are not decoded, see
        `peek_offline`) unless it was already read whole; the other forms are read whole."""
        if found.form != "offline":
            return self._read(found)
        parsed = self._parsed.get(found.anchor)
        if parsed is not None and parsed[0] == found.identity() and not isinstance(parsed[1], Exception):
            return parsed[1]
        return _kept(self._peeked, found, lambda: _peek(found, self.clock()))

    def _runs(self) -> dict[str, tuple[_Found, NeptuneRun | None]]:
        runs: list[tuple[_Found, NeptuneRun | None]] = []
        for found in self._found():
            try:
                runs.append((found, self._listed(found)))
            except Exception:
                runs.append((found, None))
        counts: dict[str, int] = {}
        for found, run in runs:
            rid = run.id if run is not None else found.anchor.name
            counts[rid] = counts.get(rid, 0) + 1
        out: dict[str, tuple[_Found, NeptuneRun | None]] = {}
        for found, run in runs:
            rid = run.id if run is not None else found.anchor.name
            out[rid if counts[rid] == 1 else f"{found.form}/{rid}"] = (found, run)
        return out

    def notices(self) -> Sequence[Notice]:
        """Runs found but not readable: an export while pyarrow is missing (the extra to install), damaged files."""
        out: list[Notice] = []
        for found, _ in self._runs().values():
            cached = self._parsed.get(found.anchor) or self._peeked.get(found.anchor)
            error = cached[1] if cached is not None and isinstance(cached[1], Exception) else None
            if isinstance(error, MissingExtra):
                label = "neptune-exporter" if found.form == "export" else "Neptune"
                out.append(
                    unreadable_store(
                        "neptune", label, str(found.anchor), "reading it needs pyarrow", spell(error.hint) or None
                    )
                )
            elif error is not None:
                out.append(Notice(f"could not read Neptune run {found.anchor}: {error}", None, "skipped"))
        return out

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        readable = [(rid, run) for rid, (_, run) in self._runs().items() if run is not None]
        return newest_first(readable, lambda pair: self._info(*pair), project=project, limit=limit)

    def _info(self, run_id: str, run: NeptuneRun) -> RunInfo:
        steps = [s.last_step for s in run.series.values() if s.last_step is not None]
        if not steps and run.last_step is not None:
            steps = [run.last_step]
        return RunInfo(
            id=run_id,
            name=run.name,
            source=self.name,
            project=run.project,
            state=run.state,
            created_at=run.created_at,
            updated_at=run.updated_at,
            last_step=max(steps) if steps else None,
            runtime_s=(run.updated_at - run.created_at)
            if run.updated_at is not None and run.created_at is not None
            else None,
            tags=run.tags,
            notes=run.notes,
            path=run.path,
        )

    def _find(self, run_id: str) -> tuple[str, _Found, NeptuneRun | None]:
        runs = self._runs()
        if run_id in runs:
            return (run_id, *runs[run_id])
        for rid, (found, run) in runs.items():
            if str(found.anchor.resolve()) == run_id or (run is not None and run.path == run_id):
                return rid, found, run
        raise RunNotFound(f"no Neptune run '{run_id}' under {self.root}", list_runs_hint())

    # loading ---------------------------------------------------------------------------------
    def load_run(self, run_id: str) -> Run:
        rid, found, _ = self._find(run_id)
        run = self._read(found)  # every point (a listing may only have peeked); raises why it cannot be read
        summary = {k: float(s.values[-1]) for k, s in run.series.items() if len(s)}
        return Run(
            info=self._info(rid, run),
            config=dict(run.config),
            summary=summary,
            series=dict(run.series),
            warnings=run.warnings,
        )

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        _, found, _ = self._find(run_id)
        return found.identity()
