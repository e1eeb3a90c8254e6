"""DiskRunStore: one file per run in the user's cache folder, written atomically, evicted least recently used.

Several processes may read and write at once: an entry is written to a private temporary file and renamed
over the old one, so a reader sees the old entry or the new one, never half of one. A reader keeps its memory
map (and so the file's data) even when another process replaces or evicts the entry meanwhile. Use marks the
entry's mtime, which eviction orders by. Anything unreadable is a miss and is removed, to be rebuilt.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import shutil
import time
import zlib
from pathlib import Path

from runwise.adapters.cache.codec import FORMAT_VERSION, DamagedEntry, Unstorable, decode, encode
from runwise.ports.run_store import StoredRun, StoreStats


def _debug(event: str, **fields: str) -> None:
    """Through stdlib logging, which the entry points send to stderr (library code never imports structlog)."""
    import logging

    logging.getLogger(__name__).debug("%s %s", event, fields)


SUFFIX = ".run"
RESULT_SUFFIX = ".result"
_RESULT_MAGIC = b"RUNWISE-RESULT\x00\x01"
DEFAULT_MAX_BYTES = 2 << 30
_STALE_TMP_S = 3600.0  # a temporary file this old was left by a killed writer


class DiskRunStore:
    """A RunStore in `folder` holding at most `max_bytes` (least recently used entries go first)."""

    def __init__(self, folder: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(folder)
        self.folder = self.root / f"runs-v{FORMAT_VERSION}"
        self.max_bytes = max_bytes

    def _path(self, key: str, suffix: str = SUFFIX) -> Path:
        data = key.encode()  # zlib, not hashlib: importing OpenSSL's hashes costs a warm call ~5 ms; a clash of
        # these 64 bits is harmless (the header's key is checked: a miss, then this entry is replaced)
        return self.folder / f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}{suffix}"

    def get(self, key: str) -> StoredRun | None:
        path = self._path(key)
        try:
            with path.open("rb") as stream:
                mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # missing, unreadable, or empty (an empty file cannot be mapped)
            self._discard_if_empty(path)
            return None
        try:
            entry = decode(key, mapped)
        except DamagedEntry as exc:
            _debug("cache entry discarded", path=str(path), reason=str(exc))
            mapped.close()
            self._discard(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used
        return entry

    def put(self, key: str, entry: StoredRun) -> None:
        try:
            head, arrays, offsets = encode(key, entry)
        except Unstorable as exc:
            _debug("run not cached", key=key, reason=str(exc))
            return
        chunks: list[bytes | memoryview] = [head]
        written = 0
        for array, offset in zip(arrays, offsets):
            if offset > written:
                chunks.append(bytes(offset - written))
            chunks.append(array.data.cast("B"))
            written = offset + array.nbytes
        total = -(-written // 64) * 64 if arrays else 0
        chunks.append(bytes(total - written))
        self._write(self._path(key), chunks)

    def get_result(self, key: str) -> object | None:
        """A pickled result. Pickle is safe here only because the folder is the user's own (created 0700):
        the store reads back what this user's runwise wrote."""
        path = self._path(key, RESULT_SUFFIX)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            if len(data) < len(_RESULT_MAGIC) + 8 or data[: len(_RESULT_MAGIC)] != _RESULT_MAGIC:
                raise ValueError("not a result entry")
            key_len, crc = int.from_bytes(data[-8:-4], "little"), int.from_bytes(data[-4:], "little")
            body = memoryview(data)[len(_RESULT_MAGIC) : -8]
            if zlib.crc32(body) != crc or bytes(body[:key_len]) != key.encode():
                raise ValueError("checksum or key differs")
            value: object = pickle.loads(body[key_len:])
        except Exception as exc:  # any damage at all is a miss (unpickling can raise almost anything)
            _debug("cache result discarded", path=str(path), reason=repr(exc)[:200])
            self._discard(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return value

    def put_result(self, key: str, value: object) -> None:
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a result holding a lambda or a lock cannot be kept
            _debug("result not cached", key=key, reason=repr(exc)[:200])
            return
        body = key.encode() + payload
        trailer = len(key.encode()).to_bytes(4, "little") + zlib.crc32(body).to_bytes(4, "little")
        self._write(self._path(key, RESULT_SUFFIX), [_RESULT_MAGIC, body, trailer])

    def _write(self, path: Path, chunks: list[bytes | memoryview]) -> None:
        """Write to a private temporary file, then rename it over `path`: readers see all of it or none."""
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tmp.open("xb") as stream:
                for chunk in chunks:
                    stream.write(chunk)
            os.replace(tmp, path)
        except OSError as exc:  # a full or read-only disk: run without the cache
            _debug("cache write failed", path=str(path), error=str(exc))
            with contextlib.suppress(OSError):
                tmp.unlink()
            return
        self._evict(keep=path)

    def stats(self) -> StoreStats:
        files = self._entries()
        return StoreStats(
            location=str(self.root),
            entries=sum(1 for _, path, _ in files if path.suffix == SUFFIX),
            results=sum(1 for _, path, _ in files if path.suffix == RESULT_SUFFIX),
            bytes=sum(size for _, _, size in files),
            max_bytes=self.max_bytes,
            format_version=FORMAT_VERSION,
        )

    def clear(self) -> int:
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.glob("runs-v*"):
            removed += sum(1 for _ in folder.glob(f"*{SUFFIX}"))
            shutil.rmtree(folder, ignore_errors=True)
        return removed

    # internals -------------------------------------------------------------------------------
    def _entries(self) -> list[tuple[float, Path, int]]:
        """(mtime, path, size) of every entry of this format."""
        out = []
        try:
            scan = list(os.scandir(self.folder))
        except OSError:
            return []
        now = time.time()
        for item in scan:
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if item.name.endswith((SUFFIX, RESULT_SUFFIX)):
                out.append((st.st_mtime, Path(item.path), st.st_size))
            elif item.name.endswith(".tmp") and now - st.st_mtime > _STALE_TMP_S:
                self._discard(Path(item.path))
        return out

    def _evict(self, *, keep: Path) -> None:
        """Remove the least recently used entries until the store fits; older formats go first."""
        for folder in self.root.glob("runs-v*"):
            if folder != self.folder:
                shutil.rmtree(folder, ignore_errors=True)
        files = self._entries()
        total = sum(size for _, _, size in files)
        if total <= self.max_bytes:
            return
        for _, path, size in sorted(files):
            if path == keep:
                continue
            self._discard(path)
            total -= size
            if total <= self.max_bytes:
                break

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    def _discard_if_empty(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            if path.stat().st_size == 0:
                self._discard(path)
