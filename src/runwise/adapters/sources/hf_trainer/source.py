"""HfTrainerRunSource: every Hugging Face Trainer output folder under the discovery root is a run."""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from runwise.adapters.fs import file_identity, newest_first
from runwise.adapters.sources.hf_trainer.discovery import StateFile, TrainerRun, discover
from runwise.adapters.sources.hf_trainer.state import (
    SETTING_KEYS,
    NotTrainerState,
    TrainerState,
    history,
    parse_state,
)
from runwise.adapters.sources.hf_trainer.training_args import read_training_args
from runwise.domain.errors import InvalidInput, RunNotFound
from runwise.domain.hints import list_runs_hint
from runwise.domain.model import MetricSeries, Run, RunInfo, RunState, select_series

RUNNING_WINDOW_S = 120.0  # a state saved this recently, without an end-of-training entry, is a live run
MAX_STATE_BYTES = 1 << 30  # a trainer state is a few MB even for 100k logged steps; past this it is not one
_TAIL_BYTES = 8192
_MAX_STEPS = re.compile(rb'"max_steps"\s*:\s*(\d+)')
_GENERIC_NAMES = frozenset(
    {"trainer_output", "output", "outputs", "out", "results", "result", "checkpoints", "model", "models", "runs",
     "tmp_trainer"}
)  # fmt: skip


class HfTrainerRunSource:
    """A RunSource over `trainer_state.json` files written by `transformers.Trainer` (no transformers needed)."""

    name = "hf"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # discovery -------------------------------------------------------------------------------
    def _runs(self) -> list[TrainerRun]:
        return discover(self.root)

    def _find(self, run_id: str) -> TrainerRun:
        runs = self._runs()
        for run in runs:
            if run.id == run_id or str(run.folder.resolve()) == run_id:
                return run
        raise RunNotFound(f"no Hugging Face Trainer run '{run_id}' under {self.root}", list_runs_hint())

    def _info(self, run: TrainerRun) -> RunInfo:
        newest = run.newest
        folder = run.folder
        name = folder.name
        if name.lower() in _GENERIC_NAMES and folder.parent.name:
            name = f"{folder.parent.name}/{name}"
        project = folder.parent.name if folder.resolve() != self.root.resolve() and folder.parent.name else None
        return RunInfo(
            id=run.id,
            name=name,
            source=self.name,
            project=project,
            state=_state_of(newest),
            created_at=min(s.mtime for s in run.states),
            updated_at=newest.mtime,
            last_step=newest.step,
            path=str(folder.resolve()),
        )

    def list_runs(self, *, project: str | None = None, limit: int | None = None) -> Sequence[RunInfo]:
        return newest_first(self._runs(), self._info, project=project, limit=limit)

    # loading ---------------------------------------------------------------------------------
    def load_run(self, run_id: str) -> Run:
        run = self._find(run_id)
        info = self._info(run)
        state, used, warnings = _read_newest(run)
        found = history(state.entries)
        if found.skipped:
            warnings.append(f"skipped {found.skipped} log_history entries without an integer step")
        series = found.series
        summary: dict[str, Any] = {k: float(s.values[-1]) for k, s in series.items() if len(s)}
        summary.update(found.summary)
        for key in ("best_metric", "best_model_checkpoint", "best_global_step"):
            if state.header.get(key) is not None:
                summary[key] = state.header[key]
        last = max((s.last_step for s in series.values() if s.last_step is not None), default=None)
        run_state: RunState = "finished" if found.summary else info.state
        if state.salvaged and run_state == "finished":
            run_state = "unknown"
        runtime = found.summary.get("train_runtime")
        import attrs

        info = attrs.evolve(
            info,
            last_step=last if last is not None else info.last_step,
            state=run_state,
            runtime_s=runtime if runtime is not None else info.runtime_s,
        )
        config = _config(run, used, state)
        return Run(info=info, config=config, summary=summary, series=series, warnings=tuple(warnings))

    def load_series(self, run_id: str, keys: Collection[str] | None = None) -> Mapping[str, MetricSeries]:
        return select_series(self.load_run(run_id).series, keys, run_id)

    def fingerprint(self, run_id: str) -> Hashable:
        return file_identity(s.path for s in self._find(run_id).states)


def _state_of(newest: StateFile) -> RunState:
    """Finished when the newest state holds the end-of-training entry; running when saved a moment ago."""
    try:
        with newest.path.open("rb") as stream:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - _TAIL_BYTES))
            tail = stream.read()
    except OSError:
        return "unknown"
    if b'"train_runtime"' in tail:
        return "finished"
    planned = _MAX_STEPS.search(tail)
    if planned is not None and 0 < int(planned.group(1)) <= newest.step:
        return "finished"  # saved at the last planned step: training ended, even without save_state
    return "running" if time.time() - newest.mtime < RUNNING_WINDOW_S else "unknown"


def _read_newest(run: TrainerRun) -> tuple[TrainerState, StateFile, list[str]]:
    """The newest readable state of the run; a broken newer one is reported and passed over."""
    warnings: list[str] = []
    salvaged: tuple[TrainerState, StateFile] | None = None
    for candidate in run.states:
        where = _where(run, candidate)
        try:
            size = candidate.path.stat().st_size
            if size > MAX_STATE_BYTES:
                warnings.append(f"{where} is {size >> 20} MB, too large for a Trainer state; passed over")
                continue
            state = parse_state(candidate.path.read_bytes())
        except OSError as exc:
            warnings.append(f"cannot read {where} ({exc.strerror}); passed over")
            continue
        except NotTrainerState:
            warnings.append(f"{where} is not a readable Trainer state; passed over")
            continue
        if not state.salvaged:
            if salvaged is not None and len(salvaged[0].entries) > len(state.entries):
                break  # the cut newer file still holds more history than this older whole one
            return state, candidate, warnings
        warnings.append(f"{where} is cut short (still being written?); read its {len(state.entries)} whole log entries")
        if salvaged is None:
            salvaged = (state, candidate)
    if salvaged is not None:
        return salvaged[0], salvaged[1], warnings
    raise InvalidInput(
        f"no readable trainer_state.json in {run.folder} ({'; '.join(warnings) or 'none found'})",
        "check that the Trainer finished writing it, or point at another checkpoint",
    )


def _where(run: TrainerRun, state: StateFile) -> str:
    return f"{state.path.parent.name}/{state.path.name}" if state.in_checkpoint else state.path.name


def _config(run: TrainerRun, used: StateFile, state: TrainerState) -> dict[str, Any]:
    """The TrainingArguments (training_args.bin), the Trainer's settings from the state, the trial's
    hyperparameters, and the model's config.json as `model`."""
    folders = dict.fromkeys([used.path.parent, run.folder, *(s.path.parent for s in run.states)])
    config: dict[str, Any] = next(
        (
            found
            for f in folders
            if (f / "training_args.bin").is_file() and (found := read_training_args(f / "training_args.bin"))
        ),
        {},
    )
    config.update((k, state.header[k]) for k in SETTING_KEYS if state.header.get(k) is not None)
    trial = state.header.get("trial_params")
    if isinstance(trial, dict):
        config.update(trial)
    model = next((obj for f in folders if (obj := _json_object(f / "config.json"))), None)
    if model:
        config["model"] = model
    return config


def _json_object(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or path.stat().st_size > 16 << 20:
            return None
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
