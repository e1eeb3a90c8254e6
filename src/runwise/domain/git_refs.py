"""Where a run's code came from, in a few words: commit, branch, repository, and a link when it is on GitHub.

Shown wherever a run is summarised (the summary's run line, reports, comparisons by commit). A commit Runwise
found from the work tree a log lives in (not recorded by the tracker) is marked `inferred`.
"""

from __future__ import annotations

import re

from runwise.domain.model import GitInfo

SHORT = 7
_GITHUB = re.compile(r"github\.com[:/](?P<owner>[^/\s]+)/(?P<repo>[^/\s]+?)(?:\.git)?/?$")
_SCHEME = re.compile(r"^(?:[a-z+]+://)?(?:[^@/\s]+@)?")


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


def short_remote(remote: str) -> str:
    """`gitlab.com/group/repo` from `git@gitlab.com:group/repo.git` or `https://user@gitlab.com/group/repo`."""
    text = _SCHEME.sub("", remote.strip()).removesuffix(".git").rstrip("/")
    host, sep, rest = text.partition(":")
    return f"{host}/{rest}" if sep and not rest.split("/", 1)[0].isdigit() and "/" not in host else text


def git_words(git: GitInfo | None, *, link: bool = True) -> str | None:
    """`commit https://github.com/o/r/commit/abc1234 (main, inferred)`; None when nothing is known.

    The link is the shortest that GitHub resolves (7 hex digits); without a GitHub remote the short commit and
    the remote's host/path are shown instead.
    """
    if git is None or not (git.commit or git.remote):
        return None
    repo = github_repo(git.remote)
    if git.commit and repo is not None and link:
        head = f"commit https://github.com/{repo[0]}/{repo[1]}/commit/{git.commit[:SHORT]}"
    elif git.commit:
        where = f"{repo[0]}/{repo[1]}" if repo else (short_remote(git.remote) if git.remote else None)
        head = f"commit {git.commit[:SHORT]}" + (f" {where}" if where else "")
    else:
        head = f"repo {short_remote(git.remote or '')}"
    notes = [n for n in (git.branch, "dirty" if git.dirty else None, "inferred" if git.inferred else None) if n]
    return head + (f" ({', '.join(notes)})" if notes else "")
