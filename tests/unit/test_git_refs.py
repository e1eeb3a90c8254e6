"""The few words that say where a run's code came from."""

from __future__ import annotations

import pytest

from runwise.domain.git_refs import git_words, short_remote
from runwise.domain.model import GitInfo

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("git", "words"),
    [
        (GitInfo(commit=SHA, remote="git@github.com:acme/vision.git", branch="main"),
         "commit https://github.com/acme/vision/commit/0123456 (main)"),
        (GitInfo(commit=SHA, remote="https://github.com/acme/vision", inferred=True, dirty=True),
         "commit https://github.com/acme/vision/commit/0123456 (dirty, inferred)"),
        (GitInfo(commit=SHA, remote="git@gitlab.com:group/repo.git", branch="exp"),
         "commit 0123456 gitlab.com/group/repo (exp)"),
        (GitInfo(commit=SHA), "commit 0123456"),
        (GitInfo(remote="https://user@git.example.org/team/repo.git"), "repo git.example.org/team/repo"),
        (GitInfo(), None),
        (None, None),
    ],
)  # fmt: skip
def test_git_words(git: GitInfo | None, words: str | None) -> None:
    assert git_words(git) == words


def test_short_remote_keeps_a_port() -> None:
    assert short_remote("ssh://git@host:2222/team/repo.git") == "host:2222/team/repo"
