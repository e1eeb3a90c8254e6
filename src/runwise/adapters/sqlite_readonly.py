"""Open a tracker's SQLite file without writing a byte next to it.

`mode=ro` alone is not enough: a database in WAL mode makes even a read-only reader create or
update the `-shm` index beside it. So:
- a WAL database whose `-wal` file is gone (the writer closed cleanly) is opened `immutable=1`:
  no locks, no side files;
- a WAL database with a live `-wal` is copied (main file and log) into a private temporary folder
  and read there, so frames the writer has not checkpointed yet are seen too;
- a rollback-journal database is opened `mode=ro`, which only takes shared file locks.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

_HEADER = b"SQLite format 3\x00"


def is_sqlite(path: Path) -> bool:
    """Whether the file starts with SQLite's magic header."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == _HEADER
    except OSError:
        return False


def is_wal(path: Path) -> bool:
    """Bytes 18-19 of the header are 2 for a database in WAL mode."""
    with path.open("rb") as fh:
        header = fh.read(20)
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path.resolve()))}?{query}"


@contextmanager
def open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that reads `path` and can write nothing anywhere near it."""
    wal = path.with_name(path.name + "-wal")
    if not is_wal(path):
        conn = sqlite3.connect(_uri(path, mode="ro"), uri=True, check_same_thread=False)
        try:
            yield conn
        finally:
            conn.close()
        return
    if not wal.exists():
        conn = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True, check_same_thread=False)
        try:
            yield conn
        finally:
            conn.close()
        return
    with tempfile.TemporaryDirectory(prefix="runwise-sqlite-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        with contextlib.suppress(OSError):  # checkpointed and removed since the check: the main file has it all
            shutil.copyfile(wal, Path(tmp) / wal.name)
        conn = sqlite3.connect(str(copy), check_same_thread=False)  # our private copy: its side files are ours
        try:
            yield conn
        finally:
            conn.close()
