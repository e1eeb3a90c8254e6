"""The commit a file log was written at, from the git work tree it lives in (read-only git commands).

Trackers such as W&B and MLflow record the commit; plain logs (JSONL, CSV, TensorBoard) do not. When such a log
lies inside a work tree, the commit that was HEAD when the run started is the best guess there is; it is marked
as inferred, since the code may have been changed and not committed.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from runwise.domain.git_refs import commit_url, github_repo
from runwise.domain.model import GitInfo

__all__ = ["commit_url", "github_repo", "infer_git"]

TIMEOUT_S = 5


def _git(folder: Path, *args: str) -> str | None:
    exe = shutil.which("git")
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "-C", str(folder), "--no-optional-locks", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def in_work_tree(folder: Path) -> bool:
    """A `.git` entry in the folder or above it: a few `stat` calls, so logs outside a repository cost no git."""
    try:
        here = folder.resolve()
    except OSError:
        return False
    return any((candidate / ".git").exists() for candidate in (here, *here.parents))


@functools.lru_cache(maxsize=256)
def _infer(folder: Path, started_at: float | None) -> GitInfo | None:
    if not in_work_tree(folder) or _git(folder, "rev-parse", "--is-inside-work-tree") != "true":
        return None
    if started_at is not None:  # a run older than every commit was not written by this history's code
        commit = _git(folder, "rev-list", "-1", f"--before={int(started_at)}", "HEAD")
    else:
        commit = _git(folder, "rev-parse", "HEAD")
    if commit is None:
        return None
    branch = _git(folder, "rev-parse", "--abbrev-ref", "HEAD")
    remote = _git(folder, "config", "--get", "remote.origin.url")
    subject = _git(folder, "log", "-1", "--format=%s", commit)
    return GitInfo(
        commit=commit, remote=remote, branch=None if branch == "HEAD" else branch, inferred=True, subject=subject
    )


def infer_git(path: str | Path, started_at: float | None) -> GitInfo | None:
    """The commit current at `started_at` (else HEAD) of the work tree holding `path`; None outside one."""
    target = Path(path)
    folder = target if target.is_dir() else target.parent
    if not folder.is_dir():
        return None
    return _infer(folder, started_at)
