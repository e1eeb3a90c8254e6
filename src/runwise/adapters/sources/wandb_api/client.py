"""The `wandb.Api` client, created lazily, and W&B's errors turned into one-line Runwise errors.

`wandb` is imported here only, on first use: importing it costs 1–2 s and it is an optional extra.
`wandb.Api()` prompts for a key on a terminal when none is stored; Runwise never prompts (it may be
an MCP server on stdio), so a missing key is reported before the client is built.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from runwise.domain.errors import MissingExtra, RunNotFound, RunwiseError

DEFAULT_BASE_URL = "https://api.wandb.ai"
NO_KEY_HINT = "set WANDB_API_KEY or run: wandb login"
NETWORK_HINT = "check the network connection and the API key (WANDB_API_KEY)"
T = TypeVar("T")


def has_credentials(api_key: str | None, base_url: str | None) -> bool:
    """A key given, in WANDB_API_KEY, or stored by `wandb login` in the netrc file for the host."""
    if api_key or os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(base_url or os.environ.get("WANDB_BASE_URL") or DEFAULT_BASE_URL).hostname
    path = Path(os.environ.get("NETRC") or Path.home() / ".netrc")
    try:
        return host is not None and netrc.netrc(str(path)).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def make_api(api_key: str | None = None, base_url: str | None = None, timeout: int | None = None) -> Any:
    """A `wandb.Api`; raises MissingExtra without the package, RunwiseError without a key."""
    try:
        import wandb
    except ImportError as exc:
        raise MissingExtra("wandb", "wandb", "Reading runs from the W&B cloud") from exc
    if not has_credentials(api_key, base_url):
        raise RunwiseError("no W&B API key found", NO_KEY_HINT)
    overrides = {"base_url": base_url} if base_url else None
    return call(lambda: wandb.Api(overrides=overrides, timeout=timeout, api_key=api_key), "connecting to W&B")


def call(fn: Callable[[], T], doing: str) -> T:
    """Run one API call; any failure becomes a one-line RunwiseError (RunNotFound when it says so)."""
    try:
        return fn()
    except RunwiseError:
        raise
    except Exception as exc:  # wandb raises CommError, UsageError, ValueError, requests errors...
        raise translate(exc, doing) from exc


def translate(exc: BaseException, doing: str) -> RunwiseError:
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    if "not found" in lowered or "could not find" in lowered or type(exc).__name__ == "RunNotFoundError":
        return RunNotFound(f"W&B has no such run or project ({text[:160]})", "check the entity, project and run id")
    if "api key" in lowered or "authentication" in lowered or "unauthorized" in lowered or "401" in lowered:
        return RunwiseError(f"W&B refused the credentials while {doing}", NO_KEY_HINT)
    return RunwiseError(f"W&B API request failed while {doing}: {text[:160]}", NETWORK_HINT)
