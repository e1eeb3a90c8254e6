"""WandbLocalRunSource: W&B run folders on disk, read without the `wandb` package and without syncing."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from runwise.adapters.fs import file_identity, is_regular_file, newest_first, skipped_notice
from runwise.adapters.sources.wandb_local import sidecar
from runwise.adapters.sources.wandb_local.discovery import RunFolder, by_run_id, find_run_folders
from runwise.adapters.sources.wandb_local.framing import FILE_HEADER, NotAWandbFile
from runwise.adapters.sources.wandb_local.peek import Peek, peek_wandb_file
from runwise.adapters.sources.wandb_local.records import RunMeta
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import GitInfo, MetricSeries, Run, RunInfo, RunState, select_series
from runwise.domain.notices import Notice

if TYPE_CHECKING:  # the decoders (protobuf, threads) load with the first run read, not with discovery
    from runwise.adapters.sources.wandb_local.follow import WandbFollower
    from runwise.adapters.sources.wandb_local.merge import Part

RUNNING_WINDOW_S = 120.0  # no exit record and written this recently: the run is still going
CONSOLE_TAIL_KEY = "_console_tail"  # Run.summary entry holding the last lines of console output


class WandbLocalRunSource:
    """A RunSource over W&B run folders (offline runs, or synced ones) found under `root`.

    Run ids are W&B's own run ids (the 8-character id, or the `id=` given to `wandb.init`); a run
    resumed under the same id in several folders is read as one run. `Run.summary` holds W&B's
    final summary (flat `/` keys) plus `_console_tail`, the last lines printed by the run.
    """

    name = "wandb"

    def __init__(
        self,
        root: Path | str,
        *,
        running_window_s: float = RUNNING_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = Path(root)
        self.running_window_s = running_window_s
        self.clock = clock
        self._peeks: dict[Path, tuple[Hashable, Peek | str]] = {}  # a str: why the file is not a W&B run file
        self._skipped: list[tuple[str, str]] = []
        self._damaged: list[tuple[str, str]] = []

    # discovery -------------------------------------------------------------------------------
    def _groups(self) -> dict[str, list[RunFolder]]:
        return by_run_id(find_run_folders(self.root))

    def _folders(self, run_id: str) -> list[RunFolder]:
        folders = self._groups().get(run_id)
        if not folders:
            raise RunNotFound(f"no W&B run '{run_id}' under {self.root}", list_runs_hint())
        return folders

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        skipped: list[tuple[tuple[str, list[RunFolder]], str]] = []
        groups, damaged = {}, []
        for run_id, folders in self._groups().items():
            why = self._not_a_run(folders)
            if why is None:
                groups[run_id] = folders
            else:
                damaged.append((str(folders[-1].wandb_file), why))
        found = newest_first(
            groups.items(), lambda group: self._info(*group), project=project, limit=limit, skipped=skipped
        )
        self._skipped = [(str(group[1][-1].wandb_file or group[1][-1].path), why) for group, why in skipped]
        self._damaged = damaged
        return found

    def notices(self) -> Sequence[Notice]:
        """The run folders the last listing could not read (they are not silently dropped)."""
        out = skipped_notice(".wandb", self._skipped)
        if self._damaged:
            first, why = self._damaged[0]
            count = len(self._damaged)
            files = f"{count} .wandb file{'s' if count != 1 else ''}"
            out.append(
                Notice(
                    f"skipped {files} that {'is' if count == 1 else 'are'} not a W&B run file (first: {first}: {why})",
                    "the file is damaged or was not written by wandb; sync the run again or move the file away",
                )
            )
        return out

    def _not_a_run(self, folders: list[RunFolder]) -> str | None:
        """Why a discovered run cannot be read at all: every session's `.wandb` file starts with something
        other than W&B's header and no older history file stands in. None when the run can be listed;
        a file shorter than the header is a run just starting, not a damaged file."""
        reasons = []
        for folder in folders:
            if folder.wandb_file is None or is_regular_file(folder.path / "files" / sidecar.HISTORY_FILE):
                return None
            try:
                if folder.wandb_file.stat().st_size < FILE_HEADER:
                    return None
            except OSError:
                return None  # listing says so with the file's own error
            why = self._peek_or_reason(folder)
            if not isinstance(why, str):
                return None
            reasons.append(why)
        return reasons[-1] if reasons else None

    def _peek(self, folder: RunFolder) -> Peek | None:
        """Head/tail facts of a folder's `.wandb` file, cached until the file changes."""
        found = self._peek_or_reason(folder)
        return found if isinstance(found, Peek) else None

    def _peek_or_reason(self, folder: RunFolder) -> Peek | str | None:
        if folder.wandb_file is None:
            return None
        identity = file_identity([folder.wandb_file])
        cached = self._peeks.get(folder.wandb_file)
        if cached is not None and cached[0] == identity:
            return cached[1]
        try:
            peek: Peek | str = peek_wandb_file(folder.wandb_file)
        except NotAWandbFile as exc:
            peek = str(exc)
        self._peeks[folder.wandb_file] = (identity, peek)
        return peek

    def _info(self, run_id: str, folders: list[RunFolder]) -> RunInfo:
        peeks = [self._peek(f) for f in folders]
        metas = [p.meta for p in peeks if p is not None]
        last_peek = peeks[-1]
        last_step = last_peek.last_step if last_peek else None
        runtime = last_peek.runtime_s if last_peek else None
        exit_code = last_peek.meta.exit_code if last_peek else None
        return self._run_info(run_id, folders, metas, last_step, runtime, exit_code)

    def _run_info(
        self,
        run_id: str,
        folders: list[RunFolder],
        metas: list[RunMeta],
        last_step: int | None,
        runtime_s: float | None,
        exit_code: int | None,
    ) -> RunInfo:
        newest = folders[-1]
        updated = max(p.stat().st_mtime for f in folders for p in f.files) if any(f.files for f in folders) else None
        meta = _latest_meta(metas)
        side = sidecar.metadata(newest.path)
        return RunInfo(
            id=run_id,
            name=meta.name or run_id,
            source=self.name,
            project=meta.project or None,
            state=self._state(exit_code, updated, newest),
            created_at=_first(m.start_time for m in metas) or _started_at(side) or _mtime(folders[0].path),
            updated_at=updated,
            last_step=last_step,
            runtime_s=runtime_s,
            tags=meta.tags,
            notes=meta.notes,
            git=_git(meta, side, newest.path),
            path=str(newest.path.resolve()),
            accelerator=meta.gpu_type or _text(side.get("gpu")),
            accelerator_count=meta.gpu_count or _count(side.get("gpu_count")),
        )

    def _state(self, exit_code: int | None, updated: float | None, folder: RunFolder) -> RunState:
        if exit_code is not None:
            return "finished" if exit_code == 0 else "crashed"
        if folder.wandb_file is None or updated is None:
            return "unknown"  # side files alone do not say how the run ended
        return "running" if self.clock() - updated < self.running_window_s else "crashed"

    # loading ---------------------------------------------------------------------------------
    def load_run(self, run_id: str) -> Run:
        return self._load(run_id, None)

    def _load(self, run_id: str, keys: Collection[str] | None) -> Run:
        folders = self._folders(run_id)
        parts = [self._read(folder, keys, len(folders) > 1) for folder in folders]
        if all(p.file is None for p in parts) and all(p.side_series is None for p in parts):
            reasons = "; ".join(w for p in parts for w in p.warnings)
            raise InvalidInput(f"cannot read W&B run '{run_id}': {reasons}", "check the run folder's files")
        from runwise.adapters.sources.wandb_local.merge import merge_parts

        merged = merge_parts(parts)
        metas = [p.file.meta for p in parts if p.file is not None]
        last_file = parts[-1].file
        info = self._run_info(
            run_id,
            folders,
            metas,
            merged.last_step,
            merged.runtime_s,
            last_file.meta.exit_code if last_file is not None else None,
        )
        summary = dict(merged.summary)
        if merged.console_tail:
            summary[CONSOLE_TAIL_KEY] = merged.console_tail
        return Run(info=info, config=merged.config, summary=summary, series=merged.series, warnings=merged.warnings)

    def _read(self, folder: RunFolder, keys: Collection[str] | None, label: bool) -> Part:
        prefix = f"{folder.path.name}: " if label else ""
        warnings: list[str] = []
        file = None
        if folder.wandb_file is not None:
            try:
                from runwise.adapters.sources.wandb_local.reader import read_wandb_file

                file = read_wandb_file(folder.wandb_file, keys)
            except (OSError, NotAWandbFile) as exc:
                warnings.append(
                    f"{prefix}cannot read {folder.wandb_file.name}: {getattr(exc, 'strerror', None) or exc}"
                )
            else:
                warnings.extend(prefix + w for w in file.warnings)
        side_series = sidecar.history(folder.path) if file is None else None
        if side_series is not None and keys is not None:
            side_series = {k: v for k, v in side_series.items() if k in keys}
        from runwise.adapters.sources.wandb_local.merge import Part

        return Part(
            file=file,
            side_series=side_series or None,
            side_summary=sidecar.summary(folder.path),
            side_config=sidecar.config(folder.path),
            warnings=tuple(warnings),
        )

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        if keys is None:
            return self.load_run(run_id).series
        return select_series(self._load(run_id, list(keys)).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        return file_identity([p for folder in self._folders(run_id) for p in folder.files])

    def follow(self, run_id: str) -> WandbFollower | None:
        """Read the newest `.wandb` file of the run as it grows (see ports.follower); None without one."""
        newest = self._folders(run_id)[-1].wandb_file
        if newest is None:
            return None
        from runwise.adapters.sources.wandb_local.follow import WandbFollower

        return WandbFollower(newest)


def _latest_meta(metas: list[RunMeta]) -> RunMeta:
    """Fields of the newest session win; older sessions fill what it leaves empty."""
    out = RunMeta()
    for meta in metas:
        for field in attrs.fields(RunMeta):
            value = getattr(meta, field.name)
            if value not in (None, (), {}):
                setattr(out, field.name, value)
    return out


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _first(values: Any) -> float | None:
    return next((v for v in values if v is not None), None)


def _started_at(side: dict[str, Any]) -> float | None:
    from datetime import datetime

    text = side.get("startedAt")
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _git(meta: RunMeta, side: dict[str, Any], folder: Path) -> GitInfo | None:
    found = side.get("git")
    side_git: dict[str, Any] = found if isinstance(found, dict) else {}
    commit = meta.git_commit or side_git.get("commit")
    remote = meta.git_remote or side_git.get("remote")
    if not commit and not remote:
        return None
    patch = folder / "files" / "diff.patch"
    dirty = True if patch.is_file() and patch.stat().st_size > 0 else None
    return GitInfo(commit=commit, remote=remote, dirty=dirty)
