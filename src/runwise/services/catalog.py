"""Finding runs across every source and resolving a REF to exactly one of them."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import PurePath
from typing import Protocol, TypeVar

import attrs

from runwise.domain.errors import AccessDenied, AmbiguousRun, InvalidInput, RunNotFound, UnreadableStore
from runwise.domain.hints import list_runs_hint, no_logs_hint
from runwise.domain.model import GitInfo, Run, RunInfo
from runwise.domain.notices import Notice
from runwise.domain.refs import RunRef, parse_ref
from runwise.domain.shared_repr import fields_repr
from runwise.ports.progress import NoProgress, ReadProgress
from runwise.ports.run_source import RunSource
from runwise.services.cache import RunCache
from runwise.services.stored_runs import StoredRuns

MAX_CANDIDATES_SHOWN = 4
RUNNING_RELIST_S = 5.0
T = TypeVar("T")


class NoticeSource(Protocol):
    """Anything that reports what discovery passed over (a scout, or a source with `notices()`)."""

    def notices(self) -> Sequence[Notice]: ...


@attrs.frozen
class LoadedRun:
    """A run loaded for a REF; `step` is the step actually used when the REF asked for `@STEP`."""

    __repr__ = fields_repr

    run: Run
    source: RunSource = attrs.field(eq=False)
    requested_step: int | None = None
    step: int | None = None


GIT_RECORDING = frozenset({"wandb", "wandb-cloud", "mlflow", "aim", "neptune"})  # sources that record the commit


class Catalog:
    """Every configured source behind one lookup; the only place REFs are resolved."""

    def __init__(
        self,
        sources: Sequence[RunSource],
        *,
        cache: RunCache | None = None,
        roots: Sequence[str] | None = None,
        path_resolver: PathResolver | None = None,
        remote: Callable[[str], tuple[RunSource, str] | None] | None = None,
        stored: StoredRuns | None = None,
        scouts: Sequence[NoticeSource] = (),
        progress: ReadProgress | None = None,
        outside: Callable[[str], Sequence[RunSource]] | None = None,
        home: str | None = None,
    ) -> None:
        self.sources = list(sources)
        self.cache = cache or RunCache()
        self.roots = [PurePath(r) for r in roots] if roots else None
        self.paths = path_resolver or PathResolver()
        self.remote = remote  # builds a source for remote REFs such as wandb://entity/project/id
        self.stored = stored  # parsed runs on disk, shared by every process; None parses every time
        # without roots (CLI, Python API) a path REF may point anywhere readable: `outside` builds the
        # sources for such a path; `home` (--dir) is where relative path REFs are also tried
        self.outside = outside
        self.home = home
        self.scouts = list(scouts)  # report stores no source reads (MLflow db, Aim repo) and skipped folders
        # discovery results reused while the folders under the roots are unchanged (the MCP server sets it)
        self.discovery_stamp: Callable[[], Hashable] | None = None
        # (log path, start time) -> the commit of the work tree the log lives in (bootstrap sets the git one)
        self.git_locator: Callable[[str, float | None], GitInfo | None] | None = None
        self._listed: dict[tuple[str | None, str | None], tuple[Hashable, float, list[tuple[RunSource, RunInfo]]]] = {}
        self.progress: ReadProgress = progress or NoProgress()  # a bar on the CLI's terminal for long reads
        # every run listed or loaded, when someone keeps count (the CLI's answer cache checks what an answer read)
        self.seen: list[RunInfo] | None = None

    # listing ---------------------------------------------------------------------------------
    def list_runs(
        self,
        *,
        source: str | None = None,
        project: str | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[RunSource, RunInfo]]:
        """Runs of every source, newest first; a source that searches on its server gets the state filter."""
        searchable = [s for s in self.sources if callable(getattr(s, "search_runs", None))]
        if state is not None and searchable:
            found = self._searched(searchable, source=source, project=project, state=state)
        else:
            found = self._discover(source, project)
        found = [pair for pair in found if state is None or pair[1].state == state]
        return found[:limit] if limit is not None else found

    def _searched(
        self, searchable: Sequence[RunSource], *, source: str | None, project: str | None, state: str
    ) -> list[tuple[RunSource, RunInfo]]:
        """Runs of a state: the server filters for sources that search (`state == X` pushed down), the rest list."""
        from runwise.domain.query.pushdown import PushCondition, Pushdown  # the query package: ~5 ms, rarely needed

        pushdown = Pushdown((PushCondition("field", "state", "==", state),), complete=True)
        found: list[tuple[RunSource, RunInfo]] = []
        for src in self.sources:
            if source is not None and src.name != source:
                continue
            if src in searchable:
                infos = src.search_runs(pushdown, project=project)  # type: ignore[attr-defined]
                found.extend((src, info) for info in infos if self.allowed(info))
            else:
                found.extend(pair for pair in self._discover(src.name, project) if pair[0] is src)
        found.sort(key=lambda pair: pair[1].updated_at or pair[1].created_at or 0.0, reverse=True)
        return found

    def _discover(self, source: str | None, project: str | None) -> list[tuple[RunSource, RunInfo]]:
        """Every allowed run of the sources asked for; reused while `discovery_stamp` (folder mtimes) holds.

        A listing with a running run is reused only briefly: its files grow without their folder changing.
        """
        stamp = self.discovery_stamp() if self.discovery_stamp is not None else None
        key = (source, project)
        if stamp is not None:
            cached = self._listed.get(key)
            if cached is not None and cached[0] == stamp:
                has_running = any(info.state == "running" for _, info in cached[2])
                if not has_running or time.monotonic() - cached[1] < RUNNING_RELIST_S:
                    self._saw(info for _, info in cached[2])
                    return cached[2]
        found: list[tuple[RunSource, RunInfo]] = []
        for src in self.sources:
            if source is not None and src.name != source:
                continue
            found.extend((src, info) for info in src.list_runs(project=project) if self.allowed(info))
        found.sort(key=lambda pair: pair[1].updated_at or pair[1].created_at or 0.0, reverse=True)
        if stamp is not None:
            self._listed[key] = (stamp, time.monotonic(), found)
        self._saw(info for _, info in found)
        return found

    def _saw(self, infos: Iterable[RunInfo]) -> None:
        if self.seen is not None:
            self.seen.extend(infos)

    def notices(self) -> list[Notice]:
        """What discovery passed over: stores no source reads, unreadable files, folders too deep.

        Sources report theirs after a listing; scouts look on their own. A notice about a tracker
        some source reads is dropped (that source lists those runs, or says why not itself).
        """
        readable = {src.name for src in self.sources}
        out: list[Notice] = []
        for holder in [*self.sources, *self.scouts]:
            report = getattr(holder, "notices", None)
            if report is None:
                continue
            for notice in report():
                if notice.kind == "unreadable_store" and notice.tracker in readable and holder in self.scouts:
                    continue
                if notice not in out:
                    out.append(notice)
        return out

    def require_readable(self, found: Sequence[object], *, source: str | None = None) -> None:
        """Nothing readable found but a store no source reads: that is the answer, not "no runs" (exit 2)."""
        if found or source is not None:
            return
        stores = [n for n in self.notices() if n.kind == "unreadable_store"]
        if stores:
            first = stores[0]
            more = f" (and {len(stores) - 1} more store{'s' if len(stores) > 2 else ''})" if len(stores) > 1 else ""
            raise UnreadableStore(first.message + more, first.hint or "no readable runs were found here")

    # resolving -------------------------------------------------------------------------------
    def resolve(self, ref: RunRef | str) -> tuple[RunSource, RunInfo]:
        """The one run a REF names. Raises RunNotFound, AmbiguousRun or AccessDenied."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        if "\x00" in parsed.ref or any(ord(c) < 32 and c not in "\t" for c in parsed.ref):
            raise InvalidInput("a run reference cannot contain control characters", list_runs_hint())
        if parsed.is_uri:
            return self._resolve_remote(parsed)
        candidates = self.list_runs(source=parsed.source)  # only runs under the roots are ever listed
        by_id = self._by_id(parsed.ref, candidates)  # an id shown by list_runs always resolves, slashes or not
        if len(by_id) == 1 and not parsed.is_latest:
            return by_id[0]
        if not parsed.is_latest and self.paths.looks_like_path(parsed.ref):
            targets = self._path_targets(parsed.ref)
            for target in targets:
                found = self._one(parsed.ref, self._by_path(target, candidates))
                if found is not None:
                    return found
            found = self._resolve_outside(parsed.ref, targets, parsed.source)
            if found is not None:
                return found
        self.require_readable(candidates, source=parsed.source)
        if not candidates:
            where = f" from {parsed.source}" if parsed.source else ""
            raise RunNotFound(f"no runs found{where}", no_logs_hint())
        if parsed.is_latest:
            return candidates[0]
        for matcher in (self._by_name, self._by_prefix):
            found = self._one(parsed.ref, matcher(parsed.ref, candidates))
            if found is not None:
                return found
        raise RunNotFound(f"no run matches '{parsed.ref}'", list_runs_hint())

    @staticmethod
    def _one(ref: str, matches: list[tuple[RunSource, RunInfo]]) -> tuple[RunSource, RunInfo] | None:
        """The single match, None for none; several is an error that names a few of them."""
        if len(matches) > 1:
            shown = ", ".join(info.qualified_id for _, info in matches[:MAX_CANDIDATES_SHOWN])
            raise AmbiguousRun(
                f"'{ref}' matches {len(matches)} runs ({shown})", "use a longer prefix, the full id or SOURCE:ID"
            )
        return matches[0] if matches else None

    def _resolve_outside(
        self, ref: str, targets: Sequence[str], source: str | None
    ) -> tuple[RunSource, RunInfo] | None:
        """Without roots, a readable path outside `--dir` is still a run: its own sources find it there."""
        if self.roots is not None or self.outside is None:
            return None
        for target in targets:
            if not self.paths.exists(target):
                continue
            found = [
                (src, info)
                for src in self.outside(target)
                if source is None or src.name == source
                for info in src.list_runs()
            ]
            match = self._one(ref, self._by_path(target, found))
            if match is not None:
                self._saw([match[1]])
                return match
        return None

    def _path_targets(self, ref: str) -> list[str]:
        """Where a path REF may point: as given, and (when relative) inside each root; only targets under the roots.

        A REF that can only point outside the roots (`../../etc/passwd`, a symlink out) is refused.
        """
        targets = [self.paths.resolve(ref)]
        if self.roots is None and self.home is not None and not PurePath(ref).is_absolute():
            targets.append(self.paths.resolve(str(PurePath(self.home) / ref)))
        if self.roots is not None and not PurePath(ref).is_absolute():
            targets += [self.paths.resolve(str(PurePath(root) / ref)) for root in self.roots]
        if self.roots is None:
            return targets
        allowed = [t for t in targets if any(self.paths.is_within(t, root) for root in self.roots)]
        if not allowed:
            raise AccessDenied(
                f"'{ref}' is outside the allowed roots",
                "ask for a run under " + ", ".join(str(r) for r in self.roots),
            )
        return list(dict.fromkeys(allowed))

    def load(self, ref: RunRef | str) -> LoadedRun:
        """Load the run a REF names, from cache when its files have not changed."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        source, info = self.resolve(parsed)
        run = self.load_info(source, info)
        if parsed.step is None:
            return LoadedRun(run, source)
        cut, used = run.at_step(parsed.step)
        return LoadedRun(cut, source, parsed.step, used)

    def _resolve_remote(self, ref: RunRef) -> tuple[RunSource, RunInfo]:
        found = self.remote(ref.ref) if self.remote else None
        if found is None:
            raise RunNotFound(
                f"no source reads '{ref.ref}'", "remote runs are addressed as wandb://entity/project/RUN_ID"
            )
        source, run_id = found
        info = RunInfo(id=run_id, name=run_id, source=source.name)
        self._saw([info])
        return source, info

    def load_info(self, source: RunSource, info: RunInfo) -> Run:
        """Load a run already listed, from cache (this process's, then the disk's) when its files have not changed."""
        key = (source.name, id(source), info.id, source.fingerprint(info.id))
        self._saw([info])
        stored = self.stored

        def read() -> Run:
            with self.progress.reading(info.name, info.path):
                return source.load_run(info.id) if stored is None else stored.load(source, info)

        return self.cache.get_or_load(key, read)

    def with_git(self, info: RunInfo) -> RunInfo:
        """A file log's info with the commit of the git work tree it lives in (trackers record their own: a
        tracker's run without one was not run from a repository, wherever its files lie now)."""
        if info.git is not None or self.git_locator is None or not info.path or info.source in GIT_RECORDING:
            return info
        found = self.git_locator(info.path, info.created_at)
        return info if found is None else attrs.evolve(info, git=found)

    def remember(self, run: Run, name: str, params: str, compute: Callable[[], T]) -> T:
        """`compute()`, kept with the run on disk when the run came from the disk cache unchanged."""
        return compute() if self.stored is None else self.stored.remember(run, name, params, compute)

    def allowed(self, info: RunInfo) -> bool:
        """Whether a run lies under the configured roots (always, when no roots are set)."""
        if self.roots is None or info.path is None:
            return True
        if not any(self.paths.is_within(info.path, root) for root in self.roots):
            return False
        # a run folder under the roots may still hold an event or .wandb file linked from elsewhere
        return self.paths.links_within(info.path, self.roots)

    def _by_path(self, target: str, candidates: list[tuple[RunSource, RunInfo]]) -> list[tuple[RunSource, RunInfo]]:
        exact = [c for c in candidates if c[1].path and self.paths.same(c[1].path, target)]
        if exact:
            return exact
        inside_run = [c for c in candidates if c[1].path and self.paths.is_within(target, c[1].path)]
        if inside_run:
            return inside_run
        return [c for c in candidates if c[1].path and self.paths.is_within(c[1].path, target)]

    @staticmethod
    def _by_id(ref: str, candidates: list[tuple[RunSource, RunInfo]]) -> list[tuple[RunSource, RunInfo]]:
        return [c for c in candidates if ref in (c[1].id, c[1].qualified_id)]

    @staticmethod
    def _by_name(ref: str, candidates: list[tuple[RunSource, RunInfo]]) -> list[tuple[RunSource, RunInfo]]:
        """Runs named `ref`, or `PROJECT/NAME` (an MLflow experiment and run name, a W&B project and run name)."""
        return [c for c in candidates if ref in (c[1].name, f"{c[1].project}/{c[1].name}")]

    @staticmethod
    def _by_prefix(ref: str, candidates: list[tuple[RunSource, RunInfo]]) -> list[tuple[RunSource, RunInfo]]:
        return [c for c in candidates if c[1].name.startswith(ref) or c[1].id.startswith(ref)]


class PathResolver:
    """Pure path logic by default; bootstrap passes one that follows the real file system (symlinks)."""

    def looks_like_path(self, ref: str) -> bool:
        if "://" in ref:
            return False
        return "/" in ref or "\\" in ref or ref.startswith(".") or ref.endswith((".jsonl", ".wandb"))

    def resolve(self, ref: str) -> str:
        return str(PurePath(ref))

    def same(self, a: str, b: str) -> bool:
        return PurePath(a) == PurePath(b)

    def is_within(self, path: str, root: str | PurePath) -> bool:
        p, r = PurePath(path), PurePath(root)
        return p == r or r in p.parents

    def exists(self, path: str) -> bool:
        return False

    def links_within(self, path: str, roots: Sequence[PurePath]) -> bool:
        """Whether every symlinked file in a run's folder resolves under one of the roots (pure: no links)."""
        return True
