"""File-system helpers shared by the local sources: bounded discovery and file identity."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, TypeVar

from runwise.domain.model import RunInfo
from runwise.domain.notices import Notice
from runwise.services.catalog import PathResolver

T = TypeVar("T")

# Folders that never hold a user's runs, or that belong to another source's layout.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "env", "__pycache__", "site-packages",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", ".idea", ".vscode", "dist", "build"}
)  # fmt: skip
MAX_DEPTH = 8
LINK_CHECK_DEPTH = 2  # a run's files lie at most this far below its folder (splits, hparams, files/)


def walk(
    root: Path, *, skip: Callable[[str], bool] | None = None, max_depth: int = MAX_DEPTH
) -> Iterator[tuple[Path, list[str], list[str]]]:
    """os.walk below `root`, pruned of tool folders and of anything deeper than `max_depth`.

    Unreadable folders are passed over silently: discovery lists what it can.
    """
    root = Path(root)
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root, onerror=lambda _err: None, followlinks=False):
        path = Path(folder)
        depth = len(path.parts) - base_depth
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not (skip and skip(d)) and depth < max_depth)
        yield path, dirs, sorted(files)


def is_regular_file(path: Path | str) -> bool:
    """Whether `path` (after following links) is a regular file: FIFOs, devices and sockets are never logs.

    A FIFO named `metrics.jsonl` blocked every command on open; a link to /dev/zero read forever.
    Names the file system refuses (too long, embedded NUL) are simply not files.
    """
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def open_regular(path: Path | str) -> BinaryIO:
    """Open a log file for reading without ever blocking on a FIFO or reading a device.

    O_NONBLOCK makes opening a FIFO return at once; the descriptor is then checked to be a regular
    file (the path could have been swapped since discovery) and switched back to blocking reads.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def skipped_notice(label: str, skipped: Sequence[tuple[str, str]]) -> list[Notice]:
    """One warning line for the files a source found but could not read."""
    if not skipped:
        return []
    first, reason = skipped[0]
    count = len(skipped)
    return [
        Notice(
            f"skipped {count} unreadable {label} file{'s' if count != 1 else ''} (first: {first}: {reason})",
            "check the files' permissions",
        )
    ]


def discovery_stamp(roots: Iterable[str | os.PathLike[str]], max_depth: int = MAX_DEPTH) -> Hashable:
    """What a listing depends on: every folder discovery enters (mtime) and every file in it (size, mtime).

    Folder mtimes change when files are added, removed or renamed; file sizes and mtimes when a log
    grows. One `scandir` per folder and no file is opened, so checking costs milliseconds where
    re-discovering (opening and peeking every log) cost seconds.
    """
    out: list[tuple[str, int, int]] = []
    for root in roots:
        pending = [(os.fspath(root), 0)]
        while pending:
            folder, depth = pending.pop()
            try:
                out.append((folder, -1, os.stat(folder).st_mtime_ns))
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if depth < max_depth and entry.name not in SKIP_DIRS:
                            pending.append((entry.path, depth + 1))
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                out.append((entry.path, st.st_size, st.st_mtime_ns))
    return tuple(sorted(out))


def file_identity(paths: Iterable[Path]) -> Hashable:
    """(absolute path, size, mtime_ns, inode) of each file: changes when a log grows, is rewritten or replaced.

    Kept across processes by the parsed-run cache, so the path is absolute (the same relative path from
    another folder is another file) and the inode tells a replaced file from one touched in place."""
    out = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            out.append((os.path.abspath(path), -1, -1, -1))
            continue
        out.append((os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(out)


def relative_id(path: Path, root: Path) -> str:
    """A stable, readable run id: the path relative to the discovery root, in POSIX form."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        rel = path.resolve()
    text = rel.as_posix()
    return printable(text if text != "." else path.resolve().name)


def printable(name: str) -> str:
    """A file name as text every output can carry: bytes that are not UTF-8 (which Python keeps as
    lone surrogates, and JSON, tokenizers and terminals refuse) become `\\xe9` escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _readable_log(name: str) -> bool:
    """Names a source may open: event files, .wandb files and the text/JSON files beside runs.

    Other links (a checkpoint that `wandb.save` linked into `files/`) are never read, so they are
    no reason to hide the run.
    """
    return "tfevents" in name or name.endswith(_LOG_SUFFIXES)


_LOG_SUFFIXES = (".wandb", ".jsonl", ".json", ".yaml", ".yml", ".csv", ".log", ".txt", ".db", ".sqlite")


class RealPathResolver(PathResolver):
    """Path checks that follow the file system: `..` and symlinks are resolved before comparing."""

    def looks_like_path(self, ref: str) -> bool:
        if "://" in ref:  # wandb://entity/project/id, http://tracking-server: remote, not a path
            return False
        return "/" in ref or "\\" in ref or ref.startswith(".") or os.path.exists(ref)

    def resolve(self, ref: str) -> str:
        return os.path.realpath(os.path.expanduser(ref))

    def same(self, a: str, b: str) -> bool:
        return os.path.realpath(a) == os.path.realpath(b)

    def is_within(self, path: str, root: str | os.PathLike[str]) -> bool:
        real, base = os.path.realpath(path), os.path.realpath(root)
        return real == base or real.startswith(base.rstrip(os.sep) + os.sep)

    def links_within(self, path: str, roots: Sequence[str | os.PathLike[str]]) -> bool:
        """Every symlink among a run's files (the folder and two levels below) resolves under a root.

        Discovery does not follow folder links, but a TensorBoard event file or a `run-<id>.wandb`
        linked into a real folder under the roots would otherwise be read from outside them.
        """
        if not os.path.isdir(path):
            return True  # a log file: its own path was resolved by is_within
        folders = [(path, 0)]
        while folders:
            folder, depth = folders.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.is_symlink():
                    if _readable_log(entry.name) and not any(self.is_within(entry.path, root) for root in roots):
                        return False
                elif depth < LINK_CHECK_DEPTH and entry.is_dir(follow_symlinks=False) and entry.name not in SKIP_DIRS:
                    folders.append((entry.path, depth + 1))
        return True

    def exists(self, path: str) -> bool:
        try:
            return os.path.exists(path)
        except ValueError:  # an embedded NUL byte
            return False


def newest_first(
    items: Iterable[T],
    info_of: Callable[[T], RunInfo],
    *,
    project: str | None = None,
    limit: int | None = None,
    skipped: list[tuple[T, str]] | None = None,
) -> Sequence[RunInfo]:
    """RunInfos of the discovered items, newest first; an item that cannot be read is passed over
    (and, with `skipped`, recorded with the reason so the source can say so)."""
    infos = []
    for item in items:
        try:
            info = info_of(item)
        except OSError as exc:
            if skipped is not None:
                skipped.append((item, exc.strerror or type(exc).__name__))
            continue
        if project is None or info.project == project:
            infos.append(info)
    infos.sort(key=lambda i: i.updated_at or i.created_at or 0.0, reverse=True)
    return infos[:limit] if limit is not None else infos
