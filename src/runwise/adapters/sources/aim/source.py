"""AimRunSource: Aim 3.x repositories read in place, strictly read-only, without importing `aim`.

Runs are opened by hash straight from their chunks (`.aim/meta/chunks/<hash>` and
`.aim/seqs/chunks/<hash>`) with `aimrocks` in read-only mode, so runs that Aim's SDK cannot query
yet (not indexed) are read too, and nothing in the repository is written: no index, no lock, no
log file. Run ids are Aim's run hashes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from pathlib import Path

import attrs

from runwise.adapters.fs import file_identity, newest_first, relative_id
from runwise.adapters.sources.aim.keys import assign_keys
from runwise.adapters.sources.aim.meta import RunMeta, Trace, config_of, read_meta
from runwise.adapters.sources.aim.repo import AimRun, RunRow, find_repos, read_run_table, repo_runs
from runwise.adapters.sources.aim.rocks import Chunk, aimrocks_available
from runwise.adapters.sources.aim.series import read_traces
from runwise.domain.errors import MissingExtra, RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo, RunState, select_series
from runwise.domain.notices import Notice, unreadable_store


class AimRunSource:
    """A RunSource over every Aim repository (`.aim` folder) found under `root`."""

    name = "aim"

    def __init__(self, root: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.root = Path(root)
        self.clock = clock
        self._metas: dict[Path, tuple[Hashable, RunMeta | None]] = {}

    # discovery -------------------------------------------------------------------------------
    def _runs(self) -> dict[str, tuple[AimRun, RunRow]]:
        """Every run by id: its hash, or `<repo folder>/<hash>` when copies of a repository share hashes."""
        found: list[tuple[AimRun, RunRow]] = []
        for repo in find_repos(self.root):
            table = read_run_table(repo)
            found.extend((run, table.get(run.hash, RunRow())) for run in repo_runs(repo))
        counts: dict[str, int] = {}
        for run, _ in found:
            counts[run.hash] = counts.get(run.hash, 0) + 1
        base = self.root if self.root.is_dir() else self.root.parent
        out: dict[str, tuple[AimRun, RunRow]] = {}
        for run, row in found:
            run_id = run.hash if counts[run.hash] == 1 else f"{relative_id(run.repo.parent, base)}/{run.hash}"
            out[run_id] = (run, row)
        return out

    def _run(self, run_id: str) -> tuple[AimRun, RunRow]:
        runs = self._runs()
        if run_id in runs:
            return runs[run_id]
        for run, row in runs.values():
            if str(run.meta_chunk.resolve()) == run_id:
                return run, row
        raise RunNotFound(f"no Aim run '{run_id}' under {self.root}", list_runs_hint())

    def _meta(self, run: AimRun) -> RunMeta | None:
        """The run's decoded meta chunk, cached until its files change; None when it cannot be read here."""
        identity = file_identity(_files(run.meta_chunk))
        cached = self._metas.get(run.meta_chunk)
        if cached is not None and cached[0] == identity:
            return cached[1]
        meta = read_meta(run) if aimrocks_available() else None
        self._metas[run.meta_chunk] = (identity, meta)
        return meta

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        return newest_first(
            self._runs().items(), lambda pair: self._info(pair[0], *pair[1]), project=project, limit=limit
        )

    def _info(self, run_id: str, run: AimRun, row: RunRow) -> RunInfo:
        meta = self._meta(run)
        files = _files(run.meta_chunk) + _files(run.seqs_chunk)
        mtimes = [p.stat().st_mtime for p in files if p.exists()]
        created = row.created_at if row.created_at is not None else (min(mtimes) if mtimes else None)
        end = meta.end_time if meta is not None else None
        updated = end if end is not None else (max(mtimes) if mtimes else created)
        state = self._state(run, meta)
        return RunInfo(
            id=run_id,
            name=row.name or run.hash,
            source=self.name,
            project=row.experiment,
            state=state,
            created_at=created,
            updated_at=updated,
            last_step=meta.last_step if meta is not None else None,
            runtime_s=(updated - created) if updated is not None and created is not None else None,
            tags=row.tags,
            notes=row.description,
            path=str(run.meta_chunk.resolve()),
        )

    def _state(self, run: AimRun, meta: RunMeta | None) -> RunState:
        """Aim's `run.active` is "no end time yet"; its soft lock names the writing process, telling a live run
        from one whose process died without closing it."""
        if meta is None:
            return "unknown"
        if meta.end_time is not None:
            return "finished"
        pid = _lock_pid(run.softlock)
        if pid is None:
            return "unknown"
        return "running" if _alive(pid) else "crashed"

    def notices(self) -> Sequence[Notice]:
        """Repositories found while `aimrocks` is missing: listed, but not readable here (the extra to install)."""
        if aimrocks_available():
            return []
        return [
            unreadable_store(
                "aim", "Aim", str(repo), "reading it needs the aimrocks package", "pip install 'runwise[aim]'"
            )
            for repo in find_repos(self.root)
        ]

    # loading ---------------------------------------------------------------------------------
    def load_run(self, run_id: str) -> Run:
        run, row = self._run(run_id)
        return self._load(run_id, run, row, None)

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        run, row = self._run(run_id)
        if keys is None:
            return self._load(run_id, run, row, None).series
        return select_series(self._load(run_id, run, row, set(keys)).series, keys, run_id)

    def _load(self, run_id: str, run: AimRun, row: RunRow, wanted: set[str] | None) -> Run:
        meta = self._meta(run)
        if meta is None:
            raise MissingExtra("aimrocks", "aim", "reading Aim runs")
        info = self._info(run_id, run, row)
        traces: list[Trace] = list(meta.metric_traces)
        keys = assign_keys([(t.name, t.context) for t in traces])
        chosen = [(t, k) for t, k in zip(traces, keys) if wanted is None or k in wanted]
        warnings: list[str] = []
        series: dict[str, MetricSeries] = {}
        if chosen and run.seqs_chunk.is_dir():
            chunk = Chunk(run.seqs_chunk)
            try:
                series, warnings = read_traces(chunk, run.hash, chosen)
            finally:
                chunk.close()
        for _, key in chosen:  # a trace announced in the meta chunk but never written is an empty series
            series.setdefault(key, MetricSeries(key, [], []))
        if info.state == "crashed":
            warnings.append(
                "Aim never recorded an end time and the process that wrote the run is gone (crashed or killed)"
            )
        summary = {k: float(s.values[-1]) for k, s in series.items() if len(s)}
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=info.last_step)
        info = attrs.evolve(info, last_step=last)
        return Run(info=info, config=config_of(meta.params), summary=summary, series=series, warnings=tuple(warnings))

    def fingerprint(self, run_id: str) -> Hashable:
        run, _ = self._run(run_id)
        return file_identity(_files(run.meta_chunk) + _files(run.seqs_chunk) + [run.softlock])


def _files(folder: Path) -> list[Path]:
    try:
        return [folder / name for name in sorted(os.listdir(folder))]
    except OSError:
        return []


def _lock_pid(path: Path) -> int | None:
    """The pid in Aim's soft lock (`<node>-<pid>-<time>`), None without a readable lock."""
    try:
        parts = path.read_text(encoding="utf-8", errors="replace").strip().split("-")
    except OSError:
        return None
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
