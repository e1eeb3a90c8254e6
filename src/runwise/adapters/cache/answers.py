"""Finished CLI answers kept beside the parsed runs, so that asking the same question of unchanged logs again
costs a file read instead of a Python start-up full of numpy, pydantic and the detectors.

An entry is the exact text a command printed and its exit code, stored under a key naming everything the
answer came from: the arguments, the working folder, the environment variables Runwise reads, the terminal,
the config file's identity and the code's version (`request_key` in the CLI says which). Beside the text the
entry records what was read: the identity (path, size, mtime_ns, inode) of every folder and file under the
discovery roots, and of any other file named (a schema file). It is replayed only when all of that is the same
again; a new run, a grown log, a file rewritten to the same size, a changed config all make it a miss.

Same safety as the parsed-run store: one file per entry, written to a private temporary file and renamed into
place (readers see all of an entry or none), a format version in the folder name, at most `MAX_ENTRIES`
entries (least recently used go first; use marks the mtime), anything unreadable or not ours is a miss and is
removed. Standard library only: this module runs before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
SUFFIX = ".answer"
MAX_ENTRIES = 512
MAX_TREE_ENTRIES = 20_000  # above this, checking the folders costs more than it saves: no answer is kept
RACY_S = 2.0  # a file changed this recently may change again within its mtime's resolution: not kept
# tool folders no source reads inside (their own entry is still recorded)
NOT_ENTERED = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", "site-packages", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".tox", ".nox", ".idea", ".vscode"}
)  # fmt: skip


class AnswerStore:
    """Answers in `folder/answers-v{FORMAT_VERSION}`, one file each, at most `max_entries`."""

    def __init__(self, folder: Path | str, *, max_entries: int = MAX_ENTRIES) -> None:
        self.root = Path(folder)
        self.folder = self.root / f"answers-v{FORMAT_VERSION}"
        self.max_entries = max_entries

    def _path(self, key: str) -> Path:
        data = key.encode("utf-8", "surrogateescape")  # zlib, not hashlib: OpenSSL's import costs ~5 ms; a clash
        # is harmless because the entry's own key is compared
        return self.folder / f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}{SUFFIX}"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under `key`, or None (missing, damaged, or another key's)."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            entry = json.loads(data)
            if not isinstance(entry, dict) or entry.get("key") != key or entry.get("version") != FORMAT_VERSION:
                raise ValueError("not this key's entry")
            _check_shape(entry)
        except (ValueError, TypeError, UnicodeDecodeError):
            self._discard(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used
        return entry

    def put(self, key: str, entry: Mapping[str, Any]) -> None:
        """Store atomically; a full or read-only disk just keeps nothing."""
        path = self._path(key)
        data = json.dumps({**entry, "key": key, "version": FORMAT_VERSION}, ensure_ascii=True).encode()
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tmp.open("xb") as stream:
                stream.write(data)
            os.replace(tmp, path)
        except OSError:
            self._discard(tmp)
            return
        self._evict(keep=path)

    def count(self) -> int:
        return len(self._entries())

    def clear(self) -> int:
        """Remove every answer (of every format version); returns how many there were."""
        removed = 0
        for folder in self.root.glob("answers-v*"):
            removed += sum(1 for _ in folder.glob(f"*{SUFFIX}"))
            for item in folder.iterdir():
                self._discard(item)
            with contextlib.suppress(OSError):
                folder.rmdir()
        return removed

    def _entries(self) -> list[tuple[float, Path]]:
        out = []
        try:
            scan = list(os.scandir(self.folder))
        except OSError:
            return []
        for item in scan:
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if item.name.endswith(SUFFIX) or (item.name.endswith(".tmp") and time.time() - st.st_mtime > 3600):
                out.append((st.st_mtime, Path(item.path)))
        return out

    def _evict(self, *, keep: Path) -> None:
        entries = self._entries()
        if len(entries) <= self.max_entries:
            return
        for _, path in sorted(entries)[: len(entries) - self.max_entries]:
            if path != keep:
                self._discard(path)

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()


def _check_shape(entry: Mapping[str, Any]) -> None:
    if not isinstance(entry.get("stdout"), str) or not isinstance(entry.get("code"), int):
        raise ValueError("damaged entry")
    if not isinstance(entry.get("roots"), list) or not isinstance(entry.get("files"), list):
        raise ValueError("damaged entry")


def identity(path: str) -> list[int] | None:
    """(size, mtime_ns, inode, mode) of a path after links; None when it does not exist."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode]


def tree_identity(roots: Sequence[str], *, newer_than: float | None = None) -> str | None:
    """A digest of every folder and file under `roots` (path, size, mtime_ns, inode), or None when an answer
    over them cannot be kept: more than MAX_TREE_ENTRIES entries, a link to a folder outside the roots (its
    files would change unseen), or (with `newer_than`) anything modified after that time (racy: the next
    write may keep the same mtime)."""
    lines: list[str] = []
    racy_ns = None if newer_than is None else int(newer_than * 1e9)
    real_roots = [os.path.realpath(r) for r in roots]
    for root in real_roots:
        pending = [root]
        while pending:
            folder = pending.pop()
            st = _stat(folder)
            if st is None:
                lines.append(f"{folder}\0-")
                continue
            if racy_ns is not None and st.st_mtime_ns > racy_ns:
                return None
            lines.append(f"{folder}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_mode}")
            if not stat.S_ISDIR(st.st_mode):
                continue
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if len(lines) > MAX_TREE_ENTRIES:
                    return None
                try:
                    if entry.is_symlink():
                        target = os.path.realpath(entry.path)
                        if os.path.isdir(target) and not _within_any(target, real_roots):
                            return None
                        lines.append(f"{entry.path}\0->{target}")
                        if not os.path.isdir(target):
                            pending.append(target)  # a linked file: its identity is recorded as a folder's would be
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name in NOT_ENTERED:
                            est = entry.stat(follow_symlinks=False)
                            lines.append(f"{entry.path}\0{est.st_mtime_ns}\0{est.st_ino}")
                        else:
                            pending.append(entry.path)
                        continue
                    est = entry.stat(follow_symlinks=False)
                except OSError:
                    lines.append(f"{entry.path}\0?")
                    continue
                if racy_ns is not None and est.st_mtime_ns > racy_ns:
                    return None
                lines.append(f"{entry.path}\0{est.st_size}\0{est.st_mtime_ns}\0{est.st_ino}\0{est.st_mode}")
    text = "\n".join(sorted(lines)).encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}{len(text):x}"


def within_roots(path: str, roots: Iterable[str]) -> bool:
    """Whether `path` (after links) lies under one of `roots` (after links)."""
    return _within_any(os.path.realpath(path), [os.path.realpath(r) for r in roots])


def _within_any(path: str, roots: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None
