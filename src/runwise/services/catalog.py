"""Finding runs across every source and resolving a REF to exactly one of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import PurePath

import attrs

from runwise.domain.errors import AccessDenied, AmbiguousRun, RunNotFound
from runwise.domain.model import Run, RunInfo
from runwise.domain.refs import RunRef, parse_ref
from runwise.ports.run_source import RunSource
from runwise.services.cache import RunCache
from runwise.services.stored_runs import StoredRuns

MAX_CANDIDATES_SHOWN = 4


@attrs.frozen
class LoadedRun:
    """A run loaded for a REF; `step` is the step actually used when the REF asked for `@STEP`."""

    run: Run
    source: RunSource = attrs.field(eq=False)
    requested_step: int | None = None
    step: int | None = None


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
    ) -> None:
        self.sources = list(sources)
        self.cache = cache or RunCache()
        self.roots = [PurePath(r) for r in roots] if roots else None
        self.paths = path_resolver or PathResolver()
        self.remote = remote  # builds a source for remote REFs such as wandb://entity/project/id
        self.stored = stored  # parsed runs on disk, shared by every process; None parses every time

    # listing ---------------------------------------------------------------------------------
    def list_runs(
        self,
        *,
        source: str | None = None,
        project: str | None = None,
        state: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[RunSource, RunInfo]]:
        """Runs of every source, newest first."""
        found: list[tuple[RunSource, RunInfo]] = []
        for src in self.sources:
            if source is not None and src.name != source:
                continue
            for info in src.list_runs(project=project):
                if state is not None and info.state != state:
                    continue
                if not self.allowed(info):
                    continue
                found.append((src, info))
        found.sort(key=lambda pair: pair[1].updated_at or pair[1].created_at or 0.0, reverse=True)
        return found[:limit] if limit is not None else found

    # resolving -------------------------------------------------------------------------------
    def resolve(self, ref: RunRef | str) -> tuple[RunSource, RunInfo]:
        """The one run a REF names. Raises RunNotFound, AmbiguousRun or AccessDenied."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        if parsed.is_uri:
            return self._resolve_remote(parsed)
        candidates = self.list_runs(source=parsed.source)  # only runs under the roots are ever listed
        if not candidates:
            where = f" from {parsed.source}" if parsed.source else ""
            raise RunNotFound(f"no runs found{where}", "point --dir (or RUNWISE_DIR) at a folder with training logs")
        if parsed.is_latest:
            return candidates[0]
        by_id = self._by_id(parsed.ref, candidates)  # an id shown by list_runs always resolves, slashes or not
        if len(by_id) == 1:
            return by_id[0]
        if self.paths.looks_like_path(parsed.ref):
            for target in self._path_targets(parsed.ref):
                found = self._one(parsed.ref, self._by_path(target, candidates))
                if found is not None:
                    return found
        for matcher in (self._by_name, self._by_prefix):
            found = self._one(parsed.ref, matcher(parsed.ref, candidates))
            if found is not None:
                return found
        raise RunNotFound(f"no run matches '{parsed.ref}'", "list runs with: runwise list (or the list_runs tool)")

    @staticmethod
    def _one(ref: str, matches: list[tuple[RunSource, RunInfo]]) -> tuple[RunSource, RunInfo] | None:
        """The single match, None for none; several is an error that names a few of them."""
        if len(matches) > 1:
            shown = ", ".join(info.qualified_id for _, info in matches[:MAX_CANDIDATES_SHOWN])
            raise AmbiguousRun(
                f"'{ref}' matches {len(matches)} runs ({shown})", "use a longer prefix, the full id or SOURCE:ID"
            )
        return matches[0] if matches else None

    def _path_targets(self, ref: str) -> list[str]:
        """Where a path REF may point: as given, and (when relative) inside each root; only targets under the roots.

        A REF that can only point outside the roots (`../../etc/passwd`, a symlink out) is refused.
        """
        targets = [self.paths.resolve(ref)]
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
        return source, RunInfo(id=run_id, name=run_id, source=source.name)

    def load_info(self, source: RunSource, info: RunInfo) -> Run:
        """Load a run already listed, from cache (this process's, then the disk's) when its files have not changed."""
        key = (source.name, id(source), info.id, source.fingerprint(info.id))
        stored = self.stored
        if stored is None:
            return self.cache.get_or_load(key, lambda: source.load_run(info.id))
        return self.cache.get_or_load(key, lambda: stored.load(source, info))

    def allowed(self, info: RunInfo) -> bool:
        """Whether a run lies under the configured roots (always, when no roots are set)."""
        if self.roots is None or info.path is None:
            return True
        return any(self.paths.is_within(info.path, root) for root in self.roots)

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
        return [c for c in candidates if c[1].name == ref]

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
