"""A recording HTTP proxy on 127.0.0.1 in front of the real `mlflow server`: the tests read back exactly
which requests Runwise sent (to prove filters and ordering went to the server), and can make it answer
401 the way an MLflow server with authentication does (the real server here runs without auth)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.define
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


class RecordingProxy:
    def __init__(self, upstream: str) -> None:
        import httpx2

        self.upstream = httpx2.Client(base_url=upstream, timeout=60)
        self.requests: list[Recorded] = []
        self.deny_status: int | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                body = json.loads(raw) if raw else None
                proxy.requests.append(Recorded(self.command, parts.path, parse_qs(parts.query), body))
                if proxy.deny_status is not None:
                    status, payload = proxy.deny_status, b'{"error_code": "PERMISSION_DENIED", "message": "nope"}'
                    ctype = "application/json"
                else:
                    answer = proxy.upstream.request(self.command, self.path, content=raw or None,
                                                    headers={"Content-Type": "application/json"} if raw else None)  # fmt: skip
                    status, payload = answer.status_code, answer.content
                    ctype = answer.headers.get("Content-Type", "application/json")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def searches(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/runs/search")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.upstream.close()
