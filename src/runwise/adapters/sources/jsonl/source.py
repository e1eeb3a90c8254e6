"""JsonlRunSource: every `*.jsonl` file under the discovery root is a run."""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from runwise.adapters.fs import (
    file_identity,
    is_regular_file,
    newest_first,
    open_regular,
    printable,
    relative_id,
    skipped_notice,
    walk,
)
from runwise.adapters.sources.jsonl.parser import STEP_KEYS, fix_nonfinite, read_series
from runwise.adapters.sources.jsonl.resume import ChecksummedReader, appended, resume_note, resume_point
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import Call, list_runs_hint, say
from runwise.domain.model import MetricSeries, Run, RunInfo, select_series
from runwise.domain.notices import Notice

if TYPE_CHECKING:
    from runwise.adapters.sources.jsonl.follow import JsonlFollower

RUNNING_WINDOW_S = 120.0  # a file written this recently is taken to be a live run
_TAIL_BYTES = 64 * 1024
_MAX_CONFIG_BYTES = 16 << 20
_GENERIC_STEMS = {"metrics", "train", "log", "logs", "history", "events", "scalars", "progress", "results"}
# Files other sources own: their own readers give them meaning (config, state, sparse keys).
_FOREIGN_NAMES = {"wandb-history.jsonl", "wandb-events.jsonl", "output.jsonl"}


class JsonlRunSource:
    """A RunSource over JSON-lines metric logs."""

    name = "jsonl"

    def __init__(self, root: Path | str, *, step_key: str | None = None) -> None:
        self.root = Path(root)
        self.step_key = step_key
        self._skipped: list[tuple[str, str]] = []

    # discovery -------------------------------------------------------------------------------
    def _files(self) -> list[Path]:
        if self.root.is_file():
            return [self.root] if self.root.suffix == ".jsonl" and is_regular_file(self.root) else []
        found: list[Path] = []
        for folder, _dirs, files in walk(self.root, skip=lambda d: d in {"wandb", "mlruns", ".aim"}):
            found.extend(
                folder / f
                for f in files
                if f.endswith(".jsonl") and f not in _FOREIGN_NAMES and is_regular_file(folder / f)
            )
        return found

    def _run_id(self, path: Path) -> str:
        base = self.root if self.root.is_dir() else self.root.parent
        return relative_id(path, base).removesuffix(".jsonl")

    def _info(self, path: Path) -> RunInfo:
        st = path.stat()
        stem = printable(path.stem)
        parent = printable(path.parent.name)
        name = f"{parent}/{stem}" if stem.lower() in _GENERIC_STEMS and parent else stem
        first_time, last_step, last_time = _peek(path)
        # the log's own clock beats the file's mtime, which a copy or a git checkout resets
        updated = last_time if last_time is not None else st.st_mtime
        running = (time.time() - updated) < RUNNING_WINDOW_S
        return RunInfo(
            id=self._run_id(path),
            name=name,
            source=self.name,
            project=parent if path.parent != self.root else None,
            state="running" if running else "unknown",
            created_at=first_time if first_time is not None else st.st_mtime,
            updated_at=updated,
            last_step=last_step,
            runtime_s=(last_time - first_time) if first_time is not None and last_time is not None else None,
            path=printable(str(path.resolve())),
        )

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        skipped: list[tuple[Path, str]] = []
        found = newest_first(self._files(), self._info, project=project, limit=limit, skipped=skipped)
        self._skipped = [(str(path), why) for path, why in skipped]
        return found

    def notices(self) -> Sequence[Notice]:
        """The files the last listing could not read (they are not silently dropped)."""
        return skipped_notice("JSONL", self._skipped)

    def _path(self, run_id: str) -> Path:
        for path in self._files():
            if self._run_id(path) == run_id or str(path.resolve()) == run_id:
                return path
        raise RunNotFound(f"no JSONL run '{run_id}' under {self.root}", list_runs_hint())

    # loading ---------------------------------------------------------------------------------
    @property
    def cache_scope(self) -> str | None:
        """What besides the file decides the parse (the stored-run key includes it)."""
        return self.step_key

    def load_run(self, run_id: str) -> Run:
        return self.load_run_resuming(run_id, None)[0]

    def load_run_resuming(
        self, run_id: str, previous: tuple[Run, Mapping[str, Any]] | None
    ) -> tuple[Run, dict[str, Any] | None]:
        """The run, read on from `previous` (a run this source read earlier and the note it left) when the file
        only grew since; and the note for next time (None when there is no safe place to carry on from)."""
        path = self._path(run_id)
        try:
            return self._load(path, previous)
        except FileNotFoundError as exc:  # deleted (or rotated) between discovery and loading
            raise InvalidInput(
                f"{path} disappeared while being read", say("list the runs again: ", Call.of("list"))
            ) from exc

    def _load(self, path: Path, previous: tuple[Run, Mapping[str, Any]] | None) -> tuple[Run, dict[str, Any] | None]:
        info = self._info(path)
        _refuse_binary(path)
        start = None
        try:
            with open_regular(path) as stream:
                reader = ChecksummedReader(stream)
                start = resume_point(reader, previous[1]) if previous is not None else None
                series, report = read_series(reader, self.step_key, start=start)  # type: ignore[arg-type]
                note = resume_note(reader, report)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}", "check the file's permissions") from exc
        if start is not None and previous is not None:
            series = appended(previous[0].series, series)
        if report.lines and not series and report.malformed == report.lines:
            raise InvalidInput(
                f"{path} is not JSON lines ({report.malformed} unreadable lines)",
                'each line must be one JSON object, e.g. {"step": 1, "loss": 0.5}',
            )
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        walls = [s.wall_time for s in series.values() if s.wall_time is not None and s.wall_time.size]
        runtime = info.runtime_s
        if walls:
            runtime = float(max(w[-1] for w in walls) - min(w[0] for w in walls))
        info = _evolve(info, last_step=last, runtime_s=runtime)
        summary = {k: float(s.values[-1]) for k, s in series.items() if len(s)}
        config = dict(report.config) or _sidecar_config(path)
        run = Run(info=info, config=config, summary=summary, series=series, warnings=report.warnings())
        return run, note

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        path = self._path(run_id)
        return file_identity([path, *_sidecar_paths(path)])  # a side config file decides the run's config too

    def follow(self, run_id: str) -> JsonlFollower:
        """Read the run as it grows, one poll at a time (see ports.follower)."""
        from runwise.adapters.sources.jsonl.follow import JsonlFollower  # domain.watch: for `watch` only (~5 ms)

        return JsonlFollower(self._path(run_id), self.step_key)


def _evolve(info: RunInfo, **changes: Any) -> RunInfo:
    import attrs

    return attrs.evolve(info, **changes)


def _peek(path: Path) -> tuple[float | None, int | None, float | None]:
    """First timestamp, last step and last timestamp from the file's head and tail, without a full read."""
    try:
        with open_regular(path) as stream:
            head = [stream.readline(_TAIL_BYTES) for _ in range(3)]
            size = os.fstat(stream.fileno()).st_size
            stream.seek(max(0, size - _TAIL_BYTES))
            tail = stream.read()
    except OSError:
        return None, None, None
    if head:
        head[0] = head[0].removeprefix(b"\xef\xbb\xbf")
    first = next((row for row in map(_loads, head) if row is not None and _time_of(row) is not None), None)
    last: dict[str, Any] | None = None
    for line in reversed(tail.split(b"\n")):
        last = _loads(line)
        if last is not None and "config" not in last:
            break
    first_time = _time_of(first)
    last_time = _time_of(last)
    last_step = None
    if last is not None:
        for key in STEP_KEYS:
            if type(last.get(key)) is int:
                last_step = int(last[key])
                break
    return first_time, last_step, last_time


def _loads(line: bytes) -> dict[str, Any] | None:
    try:
        row = orjson.loads(fix_nonfinite(line))
    except orjson.JSONDecodeError:
        return None
    return row if type(row) is dict else None


def _time_of(row: dict[str, Any] | None) -> float | None:
    if row is None:
        return None
    for key in ("_timestamp", "timestamp", "wall_time", "time"):
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 1e9:
            return float(value)
    return None


def _sidecar_paths(path: Path) -> tuple[Path, Path]:
    return path.with_name(f"{path.stem}.config.json"), path.with_name("config.json")


def _sidecar_config(path: Path) -> dict[str, Any]:
    """`<stem>.config.json` or a lone `config.json` beside the log holds the run's config.

    A name too long for the file system, a FIFO or an unreadable file is no config, not an error.
    """
    for candidate in _sidecar_paths(path):
        if not is_regular_file(candidate):
            continue
        try:
            with open_regular(candidate) as stream:
                data = orjson.loads(stream.read(_MAX_CONFIG_BYTES))
        except (OSError, orjson.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}
    return {}


def _refuse_binary(path: Path) -> None:
    """A file whose start is mostly NUL or undecodable bytes is not a JSON-lines log.

    One stray byte (or a lone surrogate in a string) is not enough: that line is skipped and
    reported like any other malformed line.
    """
    try:
        with open_regular(path) as stream:
            head = stream.read(4096)
    except OSError:
        return
    text = head.decode("utf-8", "replace")
    bad = text.count("\ufffd") + text.count("\0")
    if head and bad * 8 > len(text):
        raise InvalidInput(
            f"{path} is not JSON lines (binary content)", "point Runwise at text logs, one JSON object per line"
        )
