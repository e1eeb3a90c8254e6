"""The Python API: the same use cases as the CLI and MCP tools, returning text or domain objects.

    import runwise
    print(runwise.summarize("latest", dir="runs"))
    run = runwise.load("baseline", dir="examples")
    run.series["train/loss"].values  # full resolution numpy array

Nothing here configures logging or prints: the caller's program owns both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runwise.bootstrap import Runwise, bootstrap
from runwise.config import Settings
from runwise.domain.model import Run, RunInfo
from runwise.services import inspect as inspect_service
from runwise.services.summarize import FittedSummary
from runwise.services.summarize import summarize as summarize_service

_apps: dict[tuple[Any, ...], Runwise] = {}


def app(dir: str | Path | None = None, **settings: Any) -> Runwise:
    """A wired Runwise for a discovery root, reused across calls (its run cache with it)."""
    key = (str(dir) if dir is not None else None, tuple(sorted(settings.items())))
    if key not in _apps:
        _apps[key] = bootstrap(Settings.load(dir=dir, **settings))
    return _apps[key]


def summarize(
    ref: str = "latest", *, dir: str | Path | None = None, budget: int | None = None, format: str = "md"
) -> str:
    """A run summary fitted to `budget` tokens (default 400), as markdown or plain text."""
    return summary(ref, dir=dir, budget=budget, format=format).text


def summary(
    ref: str = "latest", *, dir: str | Path | None = None, budget: int | None = None, format: str = "md"
) -> FittedSummary:
    """The fitted summary object: `.summary` (domain facts), `.text`, `.tokens`."""
    runwise = app(dir)
    return summarize_service(
        runwise.catalog,
        ref,
        renderer=runwise.renderer(format),
        counter=runwise.tokens,
        schema=runwise.schema,
        analyzer=runwise.analyzer,
        budget=budget,
    )


def load(ref: str = "latest", *, dir: str | Path | None = None) -> Run:
    """The whole run at full resolution: info, config, summary and every series."""
    return app(dir).catalog.load(ref).run


def list_runs(*, dir: str | Path | None = None, source: str | None = None, limit: int | None = None) -> list[RunInfo]:
    """Discovered runs, newest first."""
    return inspect_service.list_runs(app(dir).catalog, source=source, limit=limit)


def keys(ref: str = "latest", *, dir: str | Path | None = None) -> list[str]:
    """Every metric key of a run."""
    return sorted(load(ref, dir=dir).series)


def stats(ref: str = "latest", keys: Sequence[str] | None = None, *, dir: str | Path | None = None) -> str:
    """Per-key statistics over every point, as text."""
    runwise = app(dir)
    return runwise.renderer("md").stats(inspect_service.get_stats(runwise.catalog, ref, keys, runwise.schema))
