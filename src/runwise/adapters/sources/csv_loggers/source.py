"""RunSources over CSV metric logs: Lightning's CSVLogger, Keras' CSVLogger and Ultralytics' results.csv.

The three share reading (whole rows only, never fatal) and discovery by content; they differ in what
a run is (a version folder, a file, a training folder), which column is the step, and where the
config lives. None of them needs the framework installed.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import numpy as np

from runwise.adapters.fs import file_identity, newest_first, relative_id
from runwise.adapters.sources.csv_loggers.columns import build_series, integer_steps, numbers, restarted_steps
from runwise.adapters.sources.csv_loggers.discovery import find
from runwise.adapters.sources.csv_loggers.kinds import Kind
from runwise.adapters.sources.csv_loggers.table import Table, read_table
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo, RunState, select_series
from runwise.domain.shared_repr import fields_repr

if TYPE_CHECKING:
    from runwise.adapters.sources.csv_loggers.follow import CsvFollower

RUNNING_WINDOW_S = 120.0  # CSV loggers write no end marker: a file written this recently is a live run
_TAIL_BYTES = 4096
_WHOLE_READ_BYTES = 256 * 1024
_GENERIC_NAMES = frozenset(
    {"train", "training", "log", "logs", "history", "metrics", "results", "csv", "csv_logs", "lightning_logs",
     "default", "runs", "output", "outputs"}
)  # fmt: skip


@attrs.frozen
class Parsed:
    """What a CSV log holds once read: series, summary extras and notes for the run."""

    __repr__ = fields_repr

    series: dict[str, MetricSeries]
    summary: dict[str, Any] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()
    runtime_s: float | None = None


class CsvLoggerRunSource:
    """Shared machinery; subclasses say what a run is and how its rows map to steps."""

    name: str
    kind: ClassVar[Kind]
    label: ClassVar[str]  # for messages: "Lightning CSVLogger"
    step_column: ClassVar[str]
    config_file: ClassVar[str | None] = None

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # what a run is -------------------------------------------------------------------------
    def run_path(self, log: Path) -> Path:
        """The folder (or file) that is the run: the log's folder by default."""
        return log.parent

    def _base(self) -> Path:
        return self.root if self.root.is_dir() else self.run_path(self.root).parent

    def _run_id(self, log: Path) -> str:
        return relative_id(self.run_path(log), self._base())

    def _name(self, log: Path) -> str:
        where = self.run_path(log)
        stem = where.stem if where == log else where.name
        parent = where.parent.name
        return f"{parent}/{stem}" if parent and (stem.lower() in _GENERIC_NAMES or self._qualify(where)) else stem

    def _qualify(self, where: Path) -> bool:
        return False

    # discovery -------------------------------------------------------------------------------
    def _logs(self) -> list[Path]:
        return find(self.root, self.kind)

    def _info(self, log: Path) -> RunInfo:
        st = log.stat()
        where = self.run_path(log)
        running = (time.time() - st.st_mtime) < RUNNING_WINDOW_S
        project_folder = where.parent
        project = project_folder.name if project_folder.resolve() != self._base().resolve() else None
        last_step = self._last_step(log)
        listed: RunState = "running" if running else "unknown"
        return RunInfo(
            id=self._run_id(log),
            name=self._name(log),
            source=self.name,
            project=project or None,
            state=self._listed_state(log, listed, last_step),
            created_at=st.st_mtime,
            updated_at=st.st_mtime,
            last_step=last_step,
            path=str(where.resolve()),
        )

    def _last_step(self, log: Path) -> int | None:
        return _tail_step(log, self.step_column)

    def _listed_state(self, log: Path, listed: RunState, last_step: int | None) -> RunState:
        return listed

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        return newest_first(self._logs(), self._info, project=project, limit=limit)

    def _find(self, run_id: str) -> Path:
        for log in self._logs():
            if self._run_id(log) == run_id or str(self.run_path(log).resolve()) == run_id:
                return log
        raise RunNotFound(f"no {self.label} run '{run_id}' under {self.root}", list_runs_hint())

    # loading ---------------------------------------------------------------------------------
    def load_run(self, run_id: str) -> Run:
        log = self._find(run_id)
        info = self._info(log)
        try:
            table = read_table(log)
        except OSError as exc:
            raise InvalidInput(f"cannot read {log} ({exc.strerror})", "check the file's permissions") from exc
        except ValueError as exc:
            raise InvalidInput(
                f"{log} is not a readable CSV log ({exc})", "point Runwise at the logger's file"
            ) from exc
        parsed = self.parse(table)
        config, problem = self._config(log)
        warnings = [*table.warnings(), *parsed.warnings]
        if problem:
            warnings.append(problem)
        series = parsed.series
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        summary = {k: float(s.values[-1]) for k, s in series.items() if len(s)}
        summary.update(parsed.summary)
        info = attrs.evolve(
            info, last_step=last, runtime_s=parsed.runtime_s, state=self._state(info.state, config, last)
        )
        return Run(info=info, config=config, summary=summary, series=series, warnings=tuple(warnings))

    def parse(self, table: Table) -> Parsed:
        """Rows to series, the step from `step_column`; every other column is a metric."""
        steps_column = table.column(self.step_column)
        if steps_column is None:
            return Parsed({})
        usable, steps = integer_steps(steps_column)
        names = [n for n in table.header if n != self.step_column]
        columns = [table.columns[table.header.index(n)] for n in names]
        return Parsed(build_series(names, columns, usable, steps))

    def _config(self, log: Path) -> tuple[dict[str, Any], str | None]:
        for path in self._config_files(log):
            if path.is_file():
                from runwise.adapters.sources.csv_loggers.yaml_config import read_config  # PyYAML: ~25 ms, only here

                return read_config(path)
        return {}, None

    def _config_files(self, log: Path) -> list[Path]:
        return [log.parent / self.config_file] if self.config_file else []

    def _state(self, listed: RunState, config: Mapping[str, Any], last_step: int | None) -> RunState:
        return listed

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        log = self._find(run_id)
        return file_identity([log, *self._config_files(log)])

    def follow(self, run_id: str) -> CsvFollower:
        """Read the run as it grows, one poll at a time (see ports.follower and csv_loggers/follow.py)."""
        from runwise.adapters.sources.csv_loggers.follow import CsvFollower  # domain.watch: for `watch` only

        log = self._find(run_id)
        config, _problem = self._config(log)
        return CsvFollower(log, self.parse_more, lambda last: self._state("unknown", config, last))

    def parse_more(self, table: Table, carry: Any) -> tuple[dict[str, MetricSeries], Any]:
        """Rows read on from earlier ones (a watch): `carry` is what the previous rows leave for these."""
        return self.parse(table).series, carry


class LightningRunSource(CsvLoggerRunSource):
    """`lightning_logs/<name>/version_N/metrics.csv` of Lightning's CSVLogger; `hparams.yaml` is the config.

    Lightning writes the values of one step on several rows (training keys on one, validation keys on
    another, `_epoch` aggregates at the end of an epoch), each row with the `step` column filled:
    every key keeps the steps of the rows that logged it.
    """

    name = "lightning"
    kind = "lightning"
    label = "Lightning CSVLogger"
    step_column = "step"
    config_file = "hparams.yaml"

    def _qualify(self, where: Path) -> bool:
        return where.name.startswith("version_")


class KerasRunSource(CsvLoggerRunSource):
    """A file of Keras' CSVLogger (`epoch,loss,val_loss,...`): the file is the run, the epoch the step.

    Keras logs no config; `<stem>.config.json` (or `.yaml`), or a lone `config.json`/`config.yaml`
    beside the file, is read as the run's config when present.
    With `append=True` a resumed `fit` adds its rows below the previous session's, its epoch counter
    starting again: the sessions are kept as consecutive segments of one run (the step keeps counting,
    the `epoch` series shows the counter as logged, and the summary's `sessions` says how many).
    """

    name = "keras"
    kind = "keras"
    label = "Keras CSVLogger"
    step_column = "epoch"

    def run_path(self, log: Path) -> Path:
        return log

    def _config_files(self, log: Path) -> list[Path]:
        """Keras logs no config: one saved beside the file is used (`<stem>.config.json|yaml`, a lone `config.json`)."""
        stem = log.name.rsplit(".", 1)[0]
        names = (f"{stem}.config.json", f"{stem}.config.yaml", f"{stem}.config.yml", "config.json", "config.yaml")
        return [log.parent / name for name in names]

    def _run_id(self, log: Path) -> str:
        return relative_id(log, self._base()).rsplit(".", 1)[0]

    def _last_step(self, log: Path) -> int | None:
        """Sessions appended to the file restart the epoch: a small file is counted whole (one row per epoch)."""
        try:
            small = log.stat().st_size <= _WHOLE_READ_BYTES
        except OSError:
            return None
        if not small:
            return _tail_step(log, self.step_column)
        try:
            parsed = self.parse(read_table(log))
        except (OSError, ValueError):
            return None
        return max((s.last_step for s in parsed.series.values() if s.last_step is not None), default=None)

    def parse(self, table: Table) -> Parsed:
        epochs_column = table.column("epoch")
        if epochs_column is None:
            return Parsed({})
        usable, epochs = integer_steps(epochs_column)
        steps = np.zeros(epochs.size, dtype=np.int64)
        steps[usable], sessions = restarted_steps(epochs[usable])
        names = list(table.header)
        series = build_series(names, table.columns, usable, steps)
        summary: dict[str, Any] = {"sessions": sessions} if sessions > 1 else {}
        return Parsed(series, summary)

    def parse_more(self, table: Table, carry: Any) -> tuple[dict[str, MetricSeries], Any]:
        """The epoch counter goes on from the last row read before: `carry` is (its epoch, its step)."""
        epochs_column = table.column("epoch")
        if epochs_column is None:
            return {}, carry
        usable, epochs = integer_steps(epochs_column)
        steps = np.zeros(epochs.size, dtype=np.int64)
        steps[usable], _sessions = restarted_steps(epochs[usable], before=carry)
        if usable.any():
            carry = (int(epochs[usable][-1]), int(steps[usable][-1]))
        return build_series(list(table.header), table.columns, usable, steps), carry


class UltralyticsRunSource(CsvLoggerRunSource):
    """`results.csv` of an Ultralytics training folder (`runs/detect/train3/`); `args.yaml` is the config.

    The run's name is its folder (`train3`), its project the task folder (`detect`), as Ultralytics
    names them; it is finished once it has logged the `epochs` of its args. One row per epoch
    (counted from 1); `time` (seconds since training started, 8.1 and later) gives
    the runtime and is not a metric. Column names are read with Ultralytics' padding stripped.
    """

    name = "ultralytics"
    kind = "ultralytics"
    label = "Ultralytics"
    step_column = "epoch"
    config_file = "args.yaml"

    def parse(self, table: Table) -> Parsed:
        epochs_column = table.column("epoch")
        if epochs_column is None:
            return Parsed({})
        usable, steps = integer_steps(epochs_column)
        names = [n for n in table.header if n not in ("epoch", "time")]
        columns = [table.columns[table.header.index(n)] for n in names]
        runtime = None
        clock = table.column("time")
        if clock is not None and clock:
            present, seconds = numbers(clock)
            finite = seconds[present & np.isfinite(seconds)]
            runtime = float(finite.max()) if finite.size else None
        return Parsed(build_series(names, columns, usable, steps), runtime_s=runtime)

    def _name(self, log: Path) -> str:
        return log.parent.name  # `train3`; its task folder (`detect`) is the project, as Ultralytics shows them

    def _listed_state(self, log: Path, listed: RunState, last_step: int | None) -> RunState:
        config, _problem = self._config(log)
        return self._state(listed, config, last_step)

    def _state(self, listed: RunState, config: Mapping[str, Any], last_step: int | None) -> RunState:
        planned = config.get("epochs")
        if (
            isinstance(planned, int)
            and not isinstance(planned, bool)
            and last_step is not None
            and last_step >= planned
        ):
            return "finished"
        return listed


def _tail_step(log: Path, column: str) -> int | None:
    """The step of the last whole row, from the file's head and tail only (cheap for listing)."""
    try:
        with log.open("rb") as stream:
            header = stream.readline(_TAIL_BYTES).decode("utf-8", errors="replace")
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - _TAIL_BYTES))
            tail = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    names = [n.strip() for n in header.rstrip("\r\n").split(",")]
    if column not in names:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines or (len(lines) == 1 and size > _TAIL_BYTES):
        return None
    fields = lines[-1].split(",")
    if len(fields) != len(names) or lines[-1].strip() == header.strip():
        return None
    try:
        value = float(fields[names.index(column)].strip())
    except ValueError:
        return None
    return int(value) if np.isfinite(value) else None
