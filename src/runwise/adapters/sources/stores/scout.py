"""StoreScout: one walk under a root that notices what the sources cannot read.

- An SQLite database holding MLflow's tables (`experiments`, `runs`, `metrics`), whatever its name,
  and an MLflow file store (`mlruns/` with `meta.yaml` files), when no `mlflow` source is configured.
- An Aim repository (a `.aim` folder), when no `aim` source is configured.
- Folders deeper than the discovery depth, which no source looks into.

Databases are opened read-only and immutable (no journal, no lock, nothing written beside them).
A source can report its own notices the same way (e.g. the Aim source when the `aim` package is
missing): any object with `notices() -> Sequence[Notice]`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from urllib.parse import quote

from runwise.adapters.fs import MAX_DEPTH, SKIP_DIRS, is_regular_file, open_regular
from runwise.domain.notices import Notice, unreadable_store

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
MLFLOW_TABLES = frozenset({"experiments", "runs", "metrics"})
MAX_DATABASES = 64  # a folder of thousands of databases is not worth opening one by one


class StoreScout:
    """Notices of one discovery root; `readable` names the trackers some configured source reads."""

    def __init__(self, root: Path | str, *, readable: Collection[str] = ()) -> None:
        self.root = Path(root)
        self.readable = frozenset(readable)

    def notices(self) -> Sequence[Notice]:
        if not self.root.is_dir():
            return []
        out: list[Notice] = []
        databases = 0
        too_deep: list[Path] = []
        base = len(self.root.parts)
        for folder, dirs, files in os.walk(self.root, onerror=lambda _err: None):
            path = Path(folder)
            depth = len(path.parts) - base
            if ".aim" in dirs:
                out.extend(self._aim(path / ".aim"))
            if path.name == "mlruns":
                out.extend(self._mlruns(path))
                dirs[:] = []
                continue
            if depth >= MAX_DEPTH and dirs:
                too_deep.append(path)
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and d != ".aim" and depth < MAX_DEPTH)
            for name in sorted(files):
                if name.endswith(SQLITE_SUFFIXES) and databases < MAX_DATABASES:
                    databases += 1
                    out.extend(self._database(path / name))
        if too_deep:
            shown = os.path.relpath(too_deep[0], self.root)
            out.append(
                Notice(
                    f"did not look inside {len(too_deep)} folder{'s' if len(too_deep) != 1 else ''} deeper than "
                    f"{MAX_DEPTH} levels (first: {shown})",
                    "point Runwise at a folder closer to the runs",
                )
            )
        return out

    def _aim(self, repo: Path) -> list[Notice]:
        if "aim" in self.readable:
            return []
        return [unreadable_store("aim", "Aim", self._shown(repo), "Aim repositories are not supported yet")]

    def _mlruns(self, folder: Path) -> list[Notice]:
        if "mlflow" in self.readable:
            return []
        try:
            has_meta = any(is_regular_file(child / "meta.yaml") for child in folder.iterdir())
        except OSError:
            return []
        if not has_meta:
            return []
        return [unreadable_store("mlflow", "MLflow", self._shown(folder), "MLflow file stores are not supported yet")]

    def _database(self, path: Path) -> list[Notice]:
        if "mlflow" in self.readable or not is_mlflow_database(path):
            return []
        return [unreadable_store("mlflow", "MLflow", self._shown(path), "MLflow databases are not supported yet")]

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def is_mlflow_database(path: Path) -> bool:
    """Whether `path` is an SQLite file with MLflow's tables, judged by its schema, not its name."""
    try:
        with open_regular(path) as stream:
            if stream.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return False
    except OSError:
        return False
    import sqlite3  # only for a file that starts as SQLite does (~3 ms of every call's start-up otherwise)

    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    try:
        connection = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return False
    try:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return {str(name) for (name,) in rows} >= MLFLOW_TABLES
