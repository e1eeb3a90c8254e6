"""Which folders are runs, which event files belong to each, and in what order they were written.

Rules (see the package docstring for the layouts):
- every folder holding `*tfevents*` files is a run folder; its files are read in write order (the
  timestamp in `events.out.tfevents.<unix-seconds>.<host>...`, then the name);
- `add_hparams` in PyTorch and tensorboardX writes the hyperparameters into a child folder named
  `str(time.time())`: such a child of a run folder is read as part of that run (its hparams become the
  run's config), except with layout "folders";
- split folders (`train`, `validation`, `eval`, ...) are merged into their parent as one run with
  prefixed keys when the layout says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from runwise.adapters.fs import is_regular_file, relative_id, walk
from runwise.domain.shared_repr import fields_repr

LAYOUTS = ("auto", "folders", "splits")
SPLIT_NAMES = frozenset({"train", "training", "validation", "valid", "val", "eval", "evaluation", "test", "testing"})
_HPARAMS_FOLDER = re.compile(r"^\d{9,}\.\d+$")  # str(time.time()), from add_hparams
_FILE_TIME = re.compile(r"tfevents\.(\d+)")
_OTHER_SOURCES = frozenset({"wandb", "mlruns", ".aim"})  # their copies of event files belong to them


@attrs.frozen
class Part:
    """Event files of one folder that belong to a run, and the prefix its keys get."""

    __repr__ = fields_repr

    folder: Path
    prefix: str
    files: tuple[Path, ...]
    role: str  # "main" | "split" | "hparams"


@attrs.frozen
class RunFolder:
    """One run: its id (folder relative to the discovery root) and the parts it is read from."""

    __repr__ = fields_repr

    id: str
    folder: Path
    parts: tuple[Part, ...]

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(f for part in self.parts for f in part.files)

    def label(self, path: Path) -> str:
        """A file's name relative to the run folder, for messages."""
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return path.name


def is_event_file(name: str) -> bool:
    """TensorBoard's own test: the name contains 'tfevents'."""
    return "tfevents" in name


def write_order(files: list[Path]) -> tuple[Path, ...]:
    """Event files oldest first: by the creation time in their names, then by name."""

    def key(path: Path) -> tuple[int, str]:
        found = _FILE_TIME.search(path.name)
        return (int(found.group(1)) if found else 0, path.name)

    return tuple(sorted(files, key=key))


def _event_folders(root: Path) -> dict[Path, tuple[Path, ...]]:
    found: dict[Path, tuple[Path, ...]] = {}
    for folder, _dirs, files in walk(root, skip=_OTHER_SOURCES.__contains__):
        events = [folder / name for name in files if is_event_file(name) and is_regular_file(folder / name)]
        if events:
            found[folder] = write_order(events)
    return found


def discover(root: Path, layout: str = "auto") -> list[RunFolder]:
    """Every run under `root` (a folder, or one event file)."""
    if root.is_file():
        if not is_event_file(root.name) or not is_regular_file(root):
            return []
        folder = root.parent
        return [RunFolder(relative_id(folder, folder), folder, (Part(folder, "", (root,), "main"),))]
    folders = _event_folders(root)
    splits: dict[Path, int] = {}  # parent -> how many split folders with event files it holds
    for folder in folders:
        if folder.name.lower() in SPLIT_NAMES:
            splits[folder.parent] = splits.get(folder.parent, 0) + 1
    owners: dict[Path, list[Part]] = {}
    for folder, files in folders.items():
        owner, prefix, role = _owner(folder, root, folders, splits, layout)
        owners.setdefault(owner, []).append(Part(folder, prefix, files, role))
    rank = {"main": 0, "split": 1, "hparams": 2}
    runs = []
    for owner, parts in owners.items():
        parts.sort(key=lambda p: (rank[p.role], p.prefix, str(p.folder)))
        runs.append(RunFolder(relative_id(owner, root), owner, tuple(parts)))
    return sorted(runs, key=lambda r: r.id)


def _owner(
    folder: Path, root: Path, folders: dict[Path, tuple[Path, ...]], splits: dict[Path, int], layout: str
) -> tuple[Path, str, str]:
    """(run folder, key prefix, role) for an event folder."""
    if layout == "folders" or folder == root:
        return folder, "", "main"
    parent = folder.parent
    if _HPARAMS_FOLDER.match(folder.name) and parent in folders:
        owner, prefix, _role = _owner(parent, root, folders, splits, layout)
        return owner, prefix, "hparams"
    if folder.name.lower() in SPLIT_NAMES and (
        layout == "splits"
        or parent in folders  # e.g. an Estimator model_dir with its eval/ folder
        or splits.get(parent, 0) >= 2  # e.g. Keras: logs/train + logs/validation
    ):
        return parent, f"{folder.name}/", "split"
    return folder, "", "main"
