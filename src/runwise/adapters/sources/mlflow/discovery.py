"""Finding MLflow stores under a folder: sqlite files holding MLflow's tables, and `mlruns/` file stores.

A sqlite file is recognised by its content (SQLite header, then MLflow's tables), never by its name:
`mlflow.db`, `tracking.sqlite` and `runs.db` are all found, and a `.db` file of another program is
passed over. A file store is a folder with MLflow experiment folders in it; only folders named
`mlruns` or holding MLflow's `.trash` folder are opened to check, which keeps the walk cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from runwise.adapters.fs import walk
from runwise.adapters.sources.mlflow.sqlite_store import SUFFIXES, SqliteStore

if TYPE_CHECKING:  # the file store's reader is imported only where an `mlruns/` store is found
    from runwise.adapters.sources.mlflow.file_store import FileStore

    Store: TypeAlias = SqliteStore | FileStore
_NOT_MLFLOW = {"wandb", ".aim", "artifacts"}


def find_stores(root: Path) -> list[Store]:
    """Every MLflow store at or under `root` (a store file, a store folder or any folder above them)."""
    if root.is_file():
        store = SqliteStore.probe(root)
        return [store] if store else []
    found: list[Store] = []
    own = _file_store(root)
    if own is not None:
        return [own]
    for folder, dirs, files in walk(root, skip=lambda d: d in _NOT_MLFLOW):
        for name in files:
            if name.endswith(SUFFIXES):
                store = SqliteStore.probe(folder / name)
                if store is not None:
                    found.append(store)
        kept = []
        for name in dirs:
            file_store = _file_store(folder / name)
            if file_store is not None:
                found.append(file_store)  # a store's own folders hold no other store
            else:
                kept.append(name)
        dirs[:] = kept
    return found


def _file_store(folder: Path) -> FileStore | None:
    if folder.name != "mlruns" and not (folder / ".trash").is_dir():
        return None
    from runwise.adapters.sources.mlflow.file_store import FileStore

    return FileStore.probe(folder)
