"""GitHub's REST API: the pull request of a branch, and one Runwise comment per pull request, kept up to date.

The comment is found again by a hidden marker, so re-running CI edits it instead of adding another. The API base
is `GITHUB_API_URL` (which GitHub Actions sets, and GitHub Enterprise needs), else api.github.com.
"""

from __future__ import annotations

from typing import Any

import httpx

from runwise.domain.errors import InvalidInput

MARKER = "<!-- runwise:summary -->"
TIMEOUT_S = 10.0
DEFAULT_API = "https://api.github.com"


class GitHub:
    """A thin client over the few endpoints Runwise uses; errors are one line with what to do."""

    def __init__(self, token: str | None, api_url: str | None = None, transport: httpx.BaseTransport | None = None):
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.token = token
        self.client = httpx.Client(
            base_url=(api_url or DEFAULT_API).rstrip("/"), headers=headers, timeout=TIMEOUT_S, transport=transport
        )

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        try:
            response = self.client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise InvalidInput(
                f"GitHub API unreachable ({type(exc).__name__})", "check the network or GITHUB_API_URL"
            ) from exc
        if response.status_code in (401, 403):
            raise InvalidInput(
                f"GitHub refused the request ({response.status_code})",
                "set GITHUB_TOKEN to a token that may write pull-request comments",
            )
        if response.status_code == 404:
            raise InvalidInput(f"GitHub has no {path}", "check the repository and the pull-request number")
        if response.status_code >= 400:
            raise InvalidInput(f"GitHub answered {response.status_code} for {method} {path}")
        return response.json() if response.content else None

    def pull_for_branch(self, owner: str, repo: str, branch: str) -> int | None:
        """The newest pull request whose head is `branch`, open or not."""
        found = self._call("GET", f"/repos/{owner}/{repo}/pulls", params={"head": f"{owner}:{branch}", "state": "all"})
        return int(found[0]["number"]) if found else None

    def upsert_comment(self, owner: str, repo: str, number: int, body: str) -> tuple[str, str]:
        """Create the Runwise comment on a pull request or edit the one already there; (action, url)."""
        if not self.token:
            raise InvalidInput("posting a comment needs a GitHub token", "set GITHUB_TOKEN")
        text = f"{MARKER}\n{body}"
        page = 1
        while True:
            comments = self._call(
                "GET", f"/repos/{owner}/{repo}/issues/{number}/comments", params={"per_page": 100, "page": page}
            )
            for comment in comments or []:
                if MARKER in (comment.get("body") or ""):
                    done = self._call(
                        "PATCH", f"/repos/{owner}/{repo}/issues/comments/{comment['id']}", json={"body": text}
                    )
                    return "updated", str(done.get("html_url", ""))
            if not comments or len(comments) < 100:
                break
            page += 1
        done = self._call("POST", f"/repos/{owner}/{repo}/issues/{number}/comments", json={"body": text})
        return "created", str(done.get("html_url", ""))
