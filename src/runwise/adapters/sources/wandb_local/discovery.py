"""Finding W&B run folders: `wandb/run-*` and `wandb/offline-run-*`, at any depth below the root.

`wandb/latest-run` is a symlink to one of them and is never listed twice: discovery does not
follow symlinks. A folder named otherwise still counts when it holds a `run-<id>.wandb` file
(users move and rename run folders). Runs resumed under the same id leave one folder per session;
they are returned in time order so the source can read them as one run.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from runwise.adapters.fs import is_regular_file, walk
from runwise.adapters.sources.wandb_local.sidecar import SIDE_FILES
from runwise.domain.shared_repr import fields_repr

RUN_DIR = re.compile(r"^(?:offline-)?run-(?P<stamp>\d{8}_\d{6})-(?P<id>.+)$")
RUN_FILE = re.compile(r"^run-(?P<id>.+)\.wandb$")
_OTHER_SOURCES = frozenset({"mlruns", ".aim", "node_modules"})


@attrs.frozen
class RunFolder:
    """One W&B run folder: the run id, its timestamp (for ordering) and its `.wandb` file if any."""

    __repr__ = fields_repr

    path: Path
    run_id: str
    stamp: str
    wandb_file: Path | None

    @property
    def files(self) -> list[Path]:
        """Every file whose change means the run changed."""
        out = [self.wandb_file] if self.wandb_file else []
        out.extend(p for name in SIDE_FILES if is_regular_file(p := self.path / "files" / name))
        return out


def run_folder(path: Path) -> RunFolder | None:
    """The run folder at `path`, or None when it is not one."""
    match = RUN_DIR.match(path.name)
    try:
        wandb_files = sorted(p for p in path.glob("*.wandb") if is_regular_file(p))
    except OSError:
        return None
    wandb_file = None
    if wandb_files:
        preferred = [p for p in wandb_files if match and p.name == f"run-{match['id']}.wandb"]
        wandb_file = (preferred or wandb_files)[0]
    if match:
        if wandb_file is None and not any(is_regular_file(path / "files" / name) for name in SIDE_FILES):
            return None
        return RunFolder(path, match["id"], match["stamp"], wandb_file)
    if wandb_file is not None:
        file_match = RUN_FILE.match(wandb_file.name)
        run_id = file_match["id"] if file_match else wandb_file.stem
        return RunFolder(path, run_id, "", wandb_file)
    return None


def find_run_folders(root: Path) -> list[RunFolder]:
    """Every run folder at or below `root` (or the folder of `root` when it is a `.wandb` file)."""
    if root.is_file():
        found = run_folder(root.parent) if root.suffix == ".wandb" else None
        return [found] if found else []
    out: list[RunFolder] = []
    for folder, dirs, _files in walk(root, skip=lambda d: d in _OTHER_SOURCES):
        if folder.is_symlink() and folder != root:
            dirs[:] = []
            continue
        found = run_folder(folder)
        if found is not None:
            out.append(found)
            dirs[:] = []  # a run folder's files/, logs/ and tmp/ hold no further runs
    return out


def by_run_id(folders: list[RunFolder]) -> dict[str, list[RunFolder]]:
    """Folders grouped by W&B run id, oldest session first."""
    groups: dict[str, list[RunFolder]] = {}
    for folder in folders:
        groups.setdefault(folder.run_id, []).append(folder)
    for group in groups.values():
        group.sort(key=lambda f: (f.stamp, str(f.path)))
    return groups
