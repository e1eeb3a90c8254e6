"""TextLogRunSource: every plain-text training log (nanoGPT's kind) under the discovery root is a run."""

from __future__ import annotations

import time
from collections.abc import Collection, Hashable, Mapping, Sequence
from pathlib import Path

import attrs

from runwise.adapters.fs import file_identity, newest_first, relative_id, walk
from runwise.adapters.sources.text_logs.patterns import parse_line
from runwise.adapters.sources.text_logs.reader import HEAD_BYTES, looks_like_text_log, read_text_log
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo, select_series

RUNNING_WINDOW_S = 120.0  # text logs have no end marker: a file written this recently is a live run
SUFFIXES = (".log", ".txt", ".out")
MAX_BYTES = 2 << 30
_FOREIGN = {"wandb", "mlruns", ".aim", ".neptune", "lightning_logs"}
_GENERIC_STEMS = {"train", "training", "log", "logs", "output", "out", "stdout", "nohup", "run"}


class TextLogRunSource:
    """A RunSource over plain-text logs whose lines match the documented patterns (see `patterns`)."""

    name = "text"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _base(self) -> Path:
        return self.root if self.root.is_dir() else self.root.parent

    def _files(self) -> list[Path]:
        if self.root.is_file():
            return [self.root] if _is_text_log(self.root) else []
        found: list[Path] = []
        for folder, _dirs, files in walk(self.root, skip=lambda d: d in _FOREIGN):
            found.extend(folder / f for f in files if f.endswith(SUFFIXES) and _is_text_log(folder / f))
        return found

    def _run_id(self, path: Path) -> str:
        return relative_id(path, self._base()).rsplit(".", 1)[0]

    def _info(self, path: Path) -> RunInfo:
        st = path.stat()
        stem = path.name.rsplit(".", 1)[0]
        name = f"{path.parent.name}/{stem}" if stem.lower() in _GENERIC_STEMS and path.parent.name else stem
        running = (time.time() - st.st_mtime) < RUNNING_WINDOW_S
        return RunInfo(
            id=self._run_id(path),
            name=name,
            source=self.name,
            project=path.parent.name if path.parent.resolve() != self._base().resolve() else None,
            state="running" if running else "unknown",
            created_at=st.st_mtime,
            updated_at=st.st_mtime,
            last_step=_tail_step(path),
            path=str(path.resolve()),
        )

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        return newest_first(self._files(), self._info, project=project, limit=limit)

    def _path(self, run_id: str) -> Path:
        for path in self._files():
            if self._run_id(path) == run_id or str(path.resolve()) == run_id:
                return path
        raise RunNotFound(f"no text-log run '{run_id}' under {self.root}", list_runs_hint())

    def load_run(self, run_id: str) -> Run:
        path = self._path(run_id)
        info = self._info(path)
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise InvalidInput(f"{path} is {size >> 20} MB, too large for a text log", "split or trim the log")
            log = read_text_log(path.read_bytes())
        except OSError as exc:
            raise InvalidInput(f"cannot read {path} ({exc.strerror})", "check the file's permissions") from exc
        warnings = ["last line is incomplete (file still being written?); read up to the line before"]
        series = log.series
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        summary = {k: float(s.values[-1]) for k, s in series.items() if len(s)}
        info = attrs.evolve(info, last_step=last)
        return Run(
            info=info,
            config=log.config,
            summary=summary,
            series=series,
            warnings=tuple(warnings) if log.partial_tail else (),
        )

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        return file_identity([self._path(run_id)])


def _tail_step(path: Path) -> int | None:
    """The counter of the last metrics line in the file's tail (cheap for listing; loading gives the exact step)."""
    try:
        with path.open("rb") as stream:
            stream.seek(0, 2)
            stream.seek(max(0, stream.tell() - 8192))
            tail = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in reversed(tail.split("\n")[1:-1]):
        hit = parse_line(line)
        if hit is not None and hit[0] != "epoch":
            return hit[1]
    return None


def _is_text_log(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError:
        return False
    if len(head) == HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    return looks_like_text_log(head)
