"""Tracking URIs as MLflow spells them: `http(s)://host:port[/prefix]`, `sqlite:///path.db`, `file:///path/mlruns`,
and the address of a run in MLflow's web UI (`http://host:5000/#/experiments/1/runs/RUN_ID`)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

_RUN_IN_UI = re.compile(r"/runs/([0-9a-fA-F]{32})\b")


def is_server_uri(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def local_store_path(text: str) -> Path | None:
    """The file or folder behind a `sqlite:///...` or `file:...` tracking URI; None for anything else."""
    if text.startswith("sqlite:///"):  # sqlite:///relative.db, sqlite:////absolute.db
        return Path(unquote(text.removeprefix("sqlite:///").partition("?")[0]))
    if text.startswith("file:"):
        parts = urlsplit(text)
        return Path(unquote(parts.path)) if parts.path else None
    return None


def server_run_ref(text: str) -> tuple[str, str | None]:
    """(server base URL, run id or None) from a server URI or a run's web-UI address."""
    match = _RUN_IN_UI.search(text)
    if match is None:
        return text.rstrip("/"), None
    parts = urlsplit(text)
    path = re.split(r"/(?:experiments|runs)/", parts.path, maxsplit=1)[0].rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}", match.group(1)
