"""Read-only access to one Aim chunk (a RocksDB folder) through `aimrocks`, the binding Aim itself uses.

Opened with `read_only=True`: RocksDB then takes no LOCK, replays the write-ahead log in memory
only, writes no LOG or MANIFEST and never compacts, so a run that is still being written can be
read beside its writer and nothing in the repository changes (tests/unit/adapters/test_aim_readonly.py
hashes every file before and after). `aimrocks` imports in ~40 ms; `aim` itself is never imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from runwise.domain.errors import InvalidInput, MissingExtra

_FIRST, _MOST = 1024, 65536  # values taken per C-level slice of the iterator: first and largest slice


def _aimrocks() -> Any:
    try:
        import aimrocks  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise MissingExtra("aimrocks", "aim", "reading Aim repositories") from exc
    return aimrocks


def aimrocks_available() -> bool:
    """Whether Aim chunks can be read here (discovery works without it)."""
    try:
        _aimrocks()
    except MissingExtra:
        return False
    return True


class Chunk:
    """One RocksDB folder of an Aim repository, open read-only for the life of the object."""

    def __init__(self, path: Path) -> None:
        rocks = _aimrocks()
        self.path = path
        try:
            self._db = rocks.DB(str(path), rocks.Options(create_if_missing=False), read_only=True)
        except Exception as exc:  # aimrocks raises its own Corruption/InvalidArgument/IOError types
            raise InvalidInput(
                f"cannot open Aim chunk {path}: {str(exc).strip() or type(exc).__name__}",
                "the repository may be damaged or written by an incompatible Aim version",
            ) from exc

    _db: Any

    def items(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Every (key, value) whose key starts with `prefix`, in key order."""
        it = self._db.iteritems()
        it.seek(prefix)
        for key, value in it:
            if not key.startswith(prefix):
                return
            yield key, value

    def scalar_run(self, start: bytes, expected: int | None = None) -> list[bytes]:
        """Values from key `start` on while each is a 9-byte scalar (type byte + 8 bytes).

        A column of an Aim sequence is a marker key followed by its entries; the entries of step
        and value columns are all 9-byte int64/float64 encodings and the next column (or trace)
        begins with a 1-byte marker, so the run of 9-byte values after the marker is exactly the
        column. Values are taken in C-level slices, no Python work per key; `expected` (the count
        the meta chunk implies) sizes the first slice so little is read past the column's end.
        """
        if self._db.get(start) is None:  # no such column: seeking would land on the next one
            return []
        it = self._db.itervalues()
        it.seek(start)
        it.skip()  # the column's own marker
        out: list[bytes] = []
        size = expected + 1 if expected else _FIRST
        while True:
            block = list(islice(it, size))
            if not block:
                return out
            lengths = np.fromiter(map(len, block), dtype=np.int64, count=len(block))
            short = np.flatnonzero(lengths != 9)
            if short.size:
                out.extend(block[: int(short[0])])
                return out
            out.extend(block)
            size = min(max(size, _FIRST) * 2, _MOST)

    def close(self) -> None:
        """Release the database by dropping it: aimrocks' own `DB.close()` followed by the object's
        deallocation frees twice and crashes the process (aimrocks 0.5)."""
        self._db = None
