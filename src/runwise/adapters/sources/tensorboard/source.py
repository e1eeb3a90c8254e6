"""TensorBoardRunSource: every folder of `*tfevents*` files under the discovery root is a run."""

from __future__ import annotations

import time
from collections.abc import Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from runwise.adapters.fs import file_identity, newest_first, printable
from runwise.adapters.sources.tensorboard.discovery import LAYOUTS, RunFolder, discover
from runwise.adapters.sources.tensorboard.follow import TensorBoardFollower
from runwise.adapters.sources.tensorboard.peek import peek
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo, RunState, select_series

if TYPE_CHECKING:
    from runwise.adapters.sources.tensorboard.columns import Columns

RUNNING_WINDOW_S = 120.0  # TensorBoard logs have no exit record: a file written this recently is a live run
_GENERIC_NAMES = frozenset(
    {"train", "training", "validation", "val", "eval", "logs", "log", "runs", "tensorboard", "tb", "tb_logs",
     "events", "summaries", "summary", "lightning_logs", "default"}
)  # fmt: skip


class TensorBoardRunSource:
    """A RunSource over TensorBoard event files (PyTorch, tensorboardX, Lightning, Keras, TF2, HF Trainer)."""

    name = "tensorboard"

    @property
    def cache_scope(self) -> str:
        """What besides the files decides the parse (the stored-run key includes it)."""
        return self.layout

    def __init__(self, root: Path | str, *, layout: str = "auto") -> None:
        if layout not in LAYOUTS:
            raise InvalidInput(f"unknown TensorBoard layout '{layout}'", f"use one of: {', '.join(LAYOUTS)}")
        self.root = Path(root)
        self.layout = layout

    # discovery -------------------------------------------------------------------------------
    def _runs(self) -> list[RunFolder]:
        return discover(self.root, self.layout)

    def _find(self, run_id: str) -> RunFolder:
        runs = self._runs()
        for run in runs:
            if run.id == run_id:
                return run
        for run in runs:
            if str(run.folder.resolve()) == run_id:
                return run
        raise RunNotFound(f"no TensorBoard run '{run_id}' under {self.root}", list_runs_hint())

    def _info(self, run: RunFolder) -> RunInfo:
        """From the head and tail of each part's files: cheap enough to list hundreds of runs."""
        newest = max((_mtime(f) for f in run.files), default=0.0)
        created: float | None = None
        updated: float | None = None
        step: float | None = None
        session: str | None = None
        for part in run.parts:
            head = peek(part.files[0])
            tail = head if len(part.files) == 1 else peek(part.files[-1])
            created = _min(created, head.first_wall)
            updated = _max(updated, tail.last_wall)
            step = _max(step, tail.last_step)
            session = tail.session_state or session
        info = self._base_info(run, created, updated if updated is not None else newest or None, newest, session)
        return attrs.evolve(info, last_step=None if step is None else int(step))

    def _base_info(
        self,
        run: RunFolder,
        created: float | None,
        updated: float | None,
        newest_mtime: float,
        session: str | None = None,
    ) -> RunInfo:
        """`session`: the state an hparams session_end_info recorded (SUCCESS finished, FAILURE crashed)."""
        folder = run.folder
        name = printable(folder.name) or run.id
        if name.lower() in _GENERIC_NAMES or name.startswith("version_"):
            name = f"{folder.parent.name}/{name}" if folder != self.root and folder.parent.name else name
        running = newest_mtime > 0 and (time.time() - newest_mtime) < RUNNING_WINDOW_S
        project = (
            folder.parent.name if self.root.is_dir() and folder != self.root and folder.parent != self.root else None
        )
        return RunInfo(
            id=run.id,
            name=name,
            source=self.name,
            project=project,
            state=_state(session, running),
            created_at=created,
            updated_at=updated,
            runtime_s=max(0.0, updated - created) if created is not None and updated is not None else None,
            path=printable(str(folder.resolve())),
        )

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        return newest_first(self._runs(), self._info, project=project, limit=limit)

    # loading ---------------------------------------------------------------------------------
    def load_run(self, run_id: str) -> Run:
        run = self._find(run_id)
        series: dict[str, MetricSeries] = {}
        config: dict[str, Any] = {}
        non_series: set[str] = set()
        warnings: list[str] = []
        first: float | None = None
        last: float | None = None
        session: str | None = None
        for part in run.parts:
            from runwise.adapters.sources.tensorboard.reader import read_files  # decoders: only to read

            columns, reports = read_files(part.files, [run.label(f) for f in part.files])
            for report in reports:
                warnings.extend(report.warnings())
            _merge(series, columns, part.prefix, keep_existing=part.role == "hparams")
            non_series.update(part.prefix + tag for tag in columns.non_series())
            config.update(columns.config)
            session = columns.session_state or session
            first = _min(first, columns.first_wall)
            last = _max(last, columns.last_wall)
        series = dict(sorted(series.items()))
        newest = max((_mtime(f) for f in run.files), default=0.0)
        info = self._base_info(run, first, last if last is not None else newest or None, newest, session)
        last_step = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        info = attrs.evolve(info, last_step=last_step)
        summary: dict[str, Any] = {k: float(s.values[-1]) for k, s in series.items() if len(s)}
        if non_series:
            summary["_non_series"] = tuple(sorted(non_series))
        return Run(info=info, config=config, summary=summary, series=series, warnings=tuple(warnings))

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        return file_identity(self._find(run_id).files)

    def follow(self, run_id: str) -> TensorBoardFollower:
        """Read the run as it grows, one poll at a time (see ports.follower)."""
        self._find(run_id)  # an unknown id is a RunNotFound now, not at the first poll
        return TensorBoardFollower(lambda: self._find(run_id), lambda _columns: "unknown")


def _merge(series: dict[str, MetricSeries], columns: Columns, prefix: str, *, keep_existing: bool) -> None:
    """Add a part's series under its prefix; an hparams side folder never replaces a key of the run itself."""
    for tag, built in columns.build(release=True).items():
        key = prefix + tag
        if keep_existing and key in series:
            continue
        series[key] = built if not prefix else MetricSeries(key, built.steps, built.values, built.wall_time)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _min(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _state(session: str | None, recently_written: bool) -> RunState:
    """What the run recorded beats the file clock; "running" recorded long ago is a run that stopped."""
    if session == "finished":
        return "finished"
    if session == "crashed":
        return "crashed"
    return "running" if recently_written else "unknown"
