"""Aim repositories on disk: where they are, which runs they hold, and the run table Aim keeps in SQLite.

A repository is a folder holding `.aim/`; each run has a meta chunk `.aim/meta/chunks/<hash>` and,
once it tracked anything, a sequence chunk `.aim/seqs/chunks/<hash>`. Names, experiments, tags and
creation times live in `.aim/run_metadata.sqlite`, read here with the standard library only, so
listing runs needs neither `aim` nor `aimrocks`.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import attrs

from runwise.adapters.fs import walk
from runwise.adapters.sqlite_readonly import is_sqlite, open_readonly
from runwise.domain.shared_repr import fields_repr

AIM_DIR = ".aim"
_OTHER_TRACKERS = {"wandb", "mlruns", ".neptune"}


@attrs.frozen
class RunRow:
    """What Aim's run table says about one run."""

    __repr__ = fields_repr

    name: str | None = None
    experiment: str | None = None
    created_at: float | None = None
    description: str | None = None
    archived: bool = False
    tags: tuple[str, ...] = ()


@attrs.frozen
class AimRun:
    """One run of one repository."""

    __repr__ = fields_repr

    repo: Path  # the `.aim` folder
    hash: str

    @property
    def meta_chunk(self) -> Path:
        return self.repo / "meta" / "chunks" / self.hash

    @property
    def seqs_chunk(self) -> Path:
        return self.repo / "seqs" / "chunks" / self.hash

    @property
    def softlock(self) -> Path:
        return self.repo / "locks" / f"{self.hash}.softlock"


def find_repos(root: Path) -> list[Path]:
    """Every `.aim` folder at or below `root` (a path inside a repository finds that repository)."""
    root = Path(root)
    for parent in (root, *root.parents):
        if parent.name == AIM_DIR and parent.is_dir():
            return [parent]
    if not root.is_dir():
        return []
    found: list[Path] = []
    for folder, dirs, _files in walk(root, skip=lambda d: d in _OTHER_TRACKERS):
        if AIM_DIR in dirs:
            found.append(folder / AIM_DIR)
            dirs.remove(AIM_DIR)  # a repository's insides hold no further repositories
    return found


def repo_runs(repo: Path) -> Iterator[AimRun]:
    """The runs of a repository, one per meta chunk."""
    chunks = repo / "meta" / "chunks"
    try:
        names = sorted(os.listdir(chunks))
    except OSError:
        return
    for name in names:
        if (chunks / name).is_dir():
            yield AimRun(repo, name)


def read_run_table(repo: Path) -> dict[str, RunRow]:
    """Aim's SQLite run table by run hash; empty when the file is missing or unreadable."""
    path = repo / "run_metadata.sqlite"
    if not is_sqlite(path):
        return {}
    try:
        with open_readonly(path) as conn:
            rows = conn.execute(
                "SELECT r.hash, r.name, e.name, r.created_at, r.description, r.is_archived "
                "FROM run r LEFT JOIN experiment e ON e.id = r.experiment_id"
            ).fetchall()
            tag_rows = conn.execute(
                "SELECT r.hash, t.name FROM run_tag rt JOIN run r ON r.id = rt.run_id JOIN tag t ON t.id = rt.tag_id"
            ).fetchall()
    except (sqlite3.Error, OSError):
        return {}
    tags: dict[str, list[str]] = {}
    for run_hash, tag in tag_rows:
        tags.setdefault(run_hash, []).append(str(tag))
    return {
        str(run_hash): RunRow(
            name=name,
            experiment=experiment,
            created_at=_utc_seconds(created),
            description=description or None,
            archived=bool(archived),
            tags=tuple(sorted(tags.get(run_hash, []))),
        )
        for run_hash, name, experiment, created, description, archived in rows
    }


def _utc_seconds(text: object) -> float | None:
    """Aim writes naive UTC datetimes ('2026-12-05 23:05:02.075617')."""
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()
