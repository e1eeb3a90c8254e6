"""Finding Trainer runs: an output folder and its `checkpoint-N` folders are one run.

A folder is a candidate when it holds a `trainer_state.json` whose first bytes are a Trainer state
(the name alone proves nothing). The run folder is the checkpoint's parent, or the folder itself
when it is not a checkpoint. The newest state wins: the one with the highest global step, the
output folder's own file (written by `save_state` at the end) on a tie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import attrs

from runwise.adapters.fs import relative_id, walk
from runwise.adapters.sources.hf_trainer.state import looks_like_state, peek_global_step
from runwise.domain.shared_repr import fields_repr

STATE_FILE = "trainer_state.json"
HEAD_BYTES = 8192
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_FOREIGN = {"wandb", "mlruns", ".aim", "lightning_logs"}


@attrs.frozen
class StateFile:
    """One `trainer_state.json` of a run and the global step it was saved at."""

    __repr__ = fields_repr

    path: Path
    step: int
    in_checkpoint: bool
    mtime: float


@attrs.frozen
class TrainerRun:
    """A run folder and its state files, newest first."""

    __repr__ = fields_repr

    id: str
    folder: Path
    states: tuple[StateFile, ...]

    @property
    def newest(self) -> StateFile:
        return self.states[0]


def discover(root: Path) -> list[TrainerRun]:
    """Every Trainer run under `root` (or the run a state file or checkpoint folder given as root belongs to)."""
    groups: dict[Path, list[StateFile]] = {}
    base = root if root.is_dir() else root.parent
    for path in _candidates(root):
        state = _state_file(path)
        if state is None:
            continue
        folder = path.parent.parent if state.in_checkpoint else path.parent
        if root.is_dir() and not _inside(folder, root):
            folder = path.parent  # the root itself is a checkpoint folder: it is the run
        groups.setdefault(folder, []).append(state)
    if not root.is_dir():
        base = next(iter(groups), root.parent)
        base = base.parent
    runs = []
    for folder, states in groups.items():
        states.sort(key=lambda s: (s.step, not s.in_checkpoint, s.mtime), reverse=True)
        runs.append(TrainerRun(relative_id(folder, base), folder, tuple(states)))
    return runs


def _inside(folder: Path, root: Path) -> bool:
    try:
        folder.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _candidates(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    skip: Callable[[str], bool] = lambda d: d in _FOREIGN  # noqa: E731
    return [folder / STATE_FILE for folder, _dirs, files in walk(root, skip=skip) if STATE_FILE in files]


def _state_file(path: Path) -> StateFile | None:
    try:
        with path.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
        mtime = path.stat().st_mtime
    except OSError:
        return None
    if not looks_like_state(head):
        return None
    match = _CHECKPOINT.match(path.parent.name)
    step = peek_global_step(head)
    if step is None:
        step = int(match.group(1)) if match else 0
    return StateFile(path, step, match is not None, mtime)
