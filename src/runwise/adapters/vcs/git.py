"""The commit a file log was written at, from the git work tree it lives in (read-only git commands).

Trackers such as W&B and MLflow record the commit; plain logs (JSONL, CSV, TensorBoard) do not. When such a log
lies inside a work tree, the commit that was HEAD when the run started is the best guess there is; it is marked
as inferred, since the code may have been changed and not committed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from runwise.domain.model import GitInfo

TIMEOUT_S = 5
_GITHUB = re.compile(r"github\.com[:/](?P<owner>[^/\s]+)/(?P<repo>[^/\s]+?)(?:\.git)?/?$")


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


def infer_git(path: str | Path, started_at: float | None) -> GitInfo | None:
    """The commit current at `started_at` (else HEAD) of the work tree holding `path`; None outside one."""
    target = Path(path)
    folder = target if target.is_dir() else target.parent
    if not folder.is_dir() or _git(folder, "rev-parse", "--is-inside-work-tree") != "true":
        return None
    commit = None
    if started_at is not None:
        commit = _git(folder, "rev-list", "-1", f"--before={int(started_at)}", "HEAD")
    commit = commit or _git(folder, "rev-parse", "HEAD")
    if commit is None:
        return None
    branch = _git(folder, "rev-parse", "--abbrev-ref", "HEAD")
    remote = _git(folder, "config", "--get", "remote.origin.url")
    return GitInfo(commit=commit, remote=remote, branch=None if branch == "HEAD" else branch, inferred=True)


def github_repo(remote: str | None) -> tuple[str, str] | None:
    """(owner, repo) of a GitHub remote in any of its spellings (https, ssh, git@)."""
    if not remote:
        return None
    found = _GITHUB.search(remote.strip())
    return (found["owner"], found["repo"]) if found else None


def commit_url(git: GitInfo) -> str | None:
    """A link to the commit on GitHub, when the remote is there."""
    repo = github_repo(git.remote)
    if repo is None or not git.commit:
        return None
    return f"https://github.com/{repo[0]}/{repo[1]}/commit/{git.commit}"
