"""The Python API: every declared capability as a method of `Session`, plus a few shortcuts.

    import runwise
    print(runwise.summarize("latest", dir="runs"))
    s = runwise.Session(dir="runs")
    s.health(run="latest").result.status          # the domain result
    s.stats(run="baseline", keys=["train/loss"]).text   # the fitted markdown text
    s.compare(runs=["a", "b"]).data()             # the structured result (as MCP and --format json)
    run = runwise.load("baseline", dir="examples")
    run.series["train/loss"].values  # full resolution numpy array

`Session` methods take the same parameters, defaults and bounds as the MCP tools (they come from
one declaration table) and fit to the same default budgets. Nothing here configures logging or
prints: the caller's program owns both.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runwise.bootstrap import Runwise, bootstrap
from runwise.config import Settings
from runwise.domain.hints import PLAIN
from runwise.domain.model import Run, RunInfo
from runwise.entrypoints.capabilities import BY_NAME, TOOLS
from runwise.entrypoints.capabilities.declaration import Capability
from runwise.entrypoints.capabilities.execute import Answer, execute
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
    session = Session(dir=dir)
    return session.answer(BY_NAME["stats"], run=ref, keys=list(keys) if keys else None, token_budget=20_000).text


class Session:
    """The capabilities over one discovery folder; each method returns an `Answer` (result, text, data())."""

    def __init__(self, dir: str | Path | None = None, **settings: Any) -> None:
        self.app = app(dir, **settings)

    def answer(self, capability: Capability, **params: Any) -> Answer:
        """Call a capability by its declaration (the generated methods do this)."""
        validated = capability.params(**params)
        return execute(
            capability,
            self.app,
            validated,
            renderer=self.app.renderer("md"),
            wording=PLAIN,
            budget=capability.budget_of(validated),
        )


def _method(capability: Capability) -> Any:
    def method(self: Session, **params: Any) -> Answer:
        return self.answer(capability, **params)

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, field in capability.params.model_fields.items():
        default = inspect.Parameter.empty if field.is_required() else field.default
        annotation = field.annotation
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    method.__signature__ = inspect.Signature(parameters, return_annotation=Answer)  # type: ignore[attr-defined]
    method.__name__ = method.__qualname__ = capability.name
    method.__doc__ = capability.description
    return method


for _capability in TOOLS:  # CLI-only capabilities (posting to Slack or GitHub) have no method
    setattr(Session, _capability.name, _method(_capability))
