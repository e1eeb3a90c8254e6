"""MLflow's REST API (`/api/2.0/mlflow/...`) over httpx2, with every failure turned into one line.

No `mlflow` import: the tracking protocol is plain JSON over HTTP. Credentials are the ones MLflow's
own client takes (a bearer token, or a user name and password for basic auth), handed in by
bootstrap from MLFLOW_TRACKING_TOKEN / MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from runwise.domain.errors import RunNotFound, RunwiseError
from runwise.domain.hints import list_runs_hint

API = "/api/2.0/mlflow/"
AJAX_API = "/ajax-api/2.0/mlflow/"  # where the server keeps the endpoints its web UI uses (bulk-interval)
TIMEOUT_S = 30.0


class ServerError(RunwiseError):
    """The tracking server could not be reached or refused the request."""


class RestClient:
    """One connection pool to one tracking server; `get`/`post` return the decoded JSON body."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = TIMEOUT_S,
        transport: Any | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._token, self._auth = token, (username, password) if username and password else None
        self._timeout, self._transport = timeout, transport
        self._http: Any | None = None

    @property
    def http(self) -> Any:
        if self._http is None:
            import httpx2

            headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
            self._http = httpx2.Client(
                base_url=self.url, headers=headers, auth=self._auth, timeout=self._timeout, transport=self._transport
            )
        return self._http

    def get(self, endpoint: str, params: Mapping[str, Any], *, ajax: bool = False) -> dict[str, Any]:
        return self._call("GET", (AJAX_API if ajax else API) + endpoint, params=dict(params))

    def post(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("POST", API + endpoint, json=dict(body))

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import httpx2

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx2.TimeoutException as exc:
            raise ServerError(f"the MLflow server at {self.url} did not answer in time", _REACH_HINT) from exc
        except httpx2.HTTPError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ServerError(f"cannot reach the MLflow server at {self.url} ({reason[:120]})", _REACH_HINT) from exc
        return self._decode(response, path)

    def _decode(self, response: Any, path: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        status = int(response.status_code)
        if status in (401, 403):
            raise ServerError(
                f"the MLflow server at {self.url} refused the request (HTTP {status})",
                "set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD",
            )
        code = body.get("error_code") if isinstance(body, dict) else None
        message = " ".join(str(body.get("message", "")).split())[:200] if isinstance(body, dict) else ""
        if code == "RESOURCE_DOES_NOT_EXIST" or (status == 404 and code):
            raise RunNotFound(message or f"not found on {self.url}", list_runs_hint())
        if status >= 400:
            what = f"{code}: {message}" if code else f"HTTP {status}"
            endpoint = path.split("/mlflow/", 1)[-1]
            raise ServerError(f"the MLflow server at {self.url} rejected {endpoint} ({what})")
        if not isinstance(body, dict):
            raise ServerError(
                f"{self.url} did not answer like an MLflow tracking server", "check the URL (e.g. http://host:5000)"
            )
        return body

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __del__(self) -> None:  # sources live as long as the app; close the pool with them
        with contextlib.suppress(Exception):
            self.close()


_REACH_HINT = "check the URL and that `mlflow server` is running there"
