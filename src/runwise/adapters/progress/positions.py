"""How far this process has read into a run's files, from the offsets the OS keeps for open files.

Any reader (ours or a vendor library) moves the offset of the file it reads, so the progress of a read can be
seen without the reader reporting anything. Linux exposes the offsets in /proc/self/fdinfo; elsewhere nothing
is known and the bar shows elapsed time only.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC_FD = Path("/proc/self/fd")
MAX_FILES = 2000  # a folder run with more files than this is measured by its first ones only


def run_files(path: str | None) -> dict[str, int]:
    """The run's files (resolved path -> size): the file itself, or the files under its folder."""
    if not path:
        return {}
    root = Path(path)
    try:
        if root.is_file():
            return {os.path.realpath(root): root.stat().st_size}
        found: dict[str, int] = {}
        for item in root.rglob("*"):
            if len(found) >= MAX_FILES:
                break
            if item.is_file():
                found[os.path.realpath(item)] = item.stat().st_size
        return found
    except OSError:
        return {}


def open_offsets(files: dict[str, int]) -> dict[str, int] | None:
    """Read offsets of this process's open descriptors on `files` (None where the OS does not say)."""
    if not PROC_FD.is_dir():
        return None
    offsets: dict[str, int] = {}
    try:
        descriptors = os.listdir(PROC_FD)
    except OSError:
        return None
    for fd in descriptors:
        try:
            target = os.readlink(PROC_FD / fd)
            if target not in files:
                continue
            with open(f"/proc/self/fdinfo/{fd}") as info:
                for line in info:
                    if line.startswith("pos:"):
                        offsets[target] = max(offsets.get(target, 0), int(line.split()[1]))
                        break
        except (OSError, ValueError):
            continue  # the descriptor closed meanwhile
    return offsets


class ReadTracker:
    """Bytes read so far across a run's files: open files by their offset, files seen open and closed since as
    read in full (readers go through a file once)."""

    def __init__(self, files: dict[str, int]) -> None:
        self.files = files
        self.total = sum(files.values())
        self._seen: dict[str, int] = {}

    def done(self) -> int | None:
        offsets = open_offsets(self.files)
        if offsets is None:
            return None
        for path in list(self._seen):
            if path not in offsets:
                self._seen[path] = self.files[path]  # closed: read through
        for path, offset in offsets.items():
            self._seen[path] = max(self._seen.get(path, 0), min(offset, self.files[path]))
        return min(self.total, sum(self._seen.values()))
