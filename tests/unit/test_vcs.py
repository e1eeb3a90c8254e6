"""Git inference on a real git work tree; GitHub's API cannot be reached here, so a local HTTP server on
127.0.0.1 stands in for it and the tests assert the exact requests it received."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runwise.adapters.vcs.git import commit_url, github_repo, infer_git
from runwise.adapters.vcs.github import MARKER, GitHub
from runwise.domain.errors import InvalidInput


def _git(repo: Path, *args: str, when: int | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
    return subprocess.run(
        ["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_a_log_in_a_work_tree_gets_the_commit_current_when_the_run_started(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "feature/lr")
    _git(repo, "remote", "add", "origin", "git@github.com:acme/trainer.git")
    (repo / "a.py").write_text("1")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-qm", "one", when=1_700_000_000)
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "a.py").write_text("2")
    _git(repo, "commit", "-qam", "two", when=1_700_100_000)
    second = _git(repo, "rev-parse", "HEAD")
    log = repo / "runs" / "train.jsonl"
    log.parent.mkdir()
    log.write_text('{"step": 0, "loss": 1}\n')
    before = sorted((p, p.stat().st_mtime_ns) for p in (repo / ".git").rglob("*"))

    at_start = infer_git(log, 1_700_050_000)
    assert at_start is not None and at_start.commit == first and at_start.inferred
    assert at_start.branch == "feature/lr" and at_start.remote == "git@github.com:acme/trainer.git"
    assert infer_git(log, None).commit == second  # type: ignore[union-attr]
    assert commit_url(at_start) == f"https://github.com/acme/trainer/commit/{first}"
    assert sorted((p, p.stat().st_mtime_ns) for p in (repo / ".git").rglob("*")) == before  # read-only


def test_outside_a_work_tree_nothing_is_inferred(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text("{}\n")
    assert infer_git(tmp_path / "x.jsonl", None) is None


@pytest.mark.parametrize(
    "remote",
    ["https://github.com/acme/trainer.git", "git@github.com:acme/trainer.git", "ssh://git@github.com/acme/trainer"],
)
def test_github_remotes_in_every_spelling(remote: str) -> None:
    assert github_repo(remote) == ("acme", "trainer")


class FakeGitHub:
    """Stands in for api.github.com: one PR with one foreign comment; records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.comments: list[dict[str, Any]] = [{"id": 1, "body": "LGTM", "html_url": "u1"}]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length)) if length else None

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, self.headers.get("Authorization")))
                if self.path.startswith("/repos/acme/trainer/issues/7/comments"):
                    self._reply(200, fake.comments)
                elif self.path.startswith("/repos/acme/trainer/pulls"):
                    self._reply(200, [{"number": 7}])
                else:
                    self._reply(404, {"message": "Not Found"})

            def do_POST(self) -> None:
                body = self._body()
                fake.requests.append(("POST", self.path, body))
                new = {"id": 2, "body": body["body"], "html_url": "u2"}
                fake.comments.append(new)
                self._reply(201, new)

            def do_PATCH(self) -> None:
                body = self._body()
                fake.requests.append(("PATCH", self.path, body))
                self._reply(200, {"id": 2, "body": body["body"], "html_url": "u2"})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_comment_is_created_once_then_updated(github: FakeGitHub) -> None:
    client = GitHub("tok", github.url)
    assert client.upsert_comment("acme", "trainer", 7, "first") == ("created", "u2")
    assert client.upsert_comment("acme", "trainer", 7, "second") == ("updated", "u2")
    assert github.requests == [
        ("GET", "/repos/acme/trainer/issues/7/comments?per_page=100&page=1", "Bearer tok"),
        ("POST", "/repos/acme/trainer/issues/7/comments", {"body": f"{MARKER}\nfirst"}),
        ("GET", "/repos/acme/trainer/issues/7/comments?per_page=100&page=1", "Bearer tok"),
        ("PATCH", "/repos/acme/trainer/issues/comments/2", {"body": f"{MARKER}\nsecond"}),
    ]


def test_pull_request_of_a_branch(github: FakeGitHub) -> None:
    assert GitHub("tok", github.url).pull_for_branch("acme", "trainer", "feature/lr") == 7
    assert github.requests == [("GET", "/repos/acme/trainer/pulls?head=acme%3Afeature%2Flr&state=all", "Bearer tok")]


def test_errors_are_one_line(github: FakeGitHub) -> None:
    with pytest.raises(InvalidInput, match="needs a GitHub token"):
        GitHub(None, github.url).upsert_comment("acme", "trainer", 7, "x")
    with pytest.raises(InvalidInput, match="GitHub has no /repos/acme/other"):
        GitHub("tok", github.url).upsert_comment("acme", "other", 7, "x")
    with pytest.raises(InvalidInput, match="GitHub API unreachable"):
        GitHub("tok", "http://127.0.0.1:9").upsert_comment("acme", "trainer", 7, "x")
