"""The zoom-in over one run: list, keys, summary, history, stats, config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import attrs
from pydantic import Field

from runwise.domain.inspect import History, KeyGroup, KeyListing, same_span
from runwise.domain.model import RunInfo
from runwise.domain.shared_repr import fields_repr
from runwise.entrypoints.capabilities.declaration import (
    KEYS_HELP,
    Budget,
    Capability,
    Cli,
    KeyName,
    Params,
    RunRef,
    budget_param,
)
from runwise.entrypoints.structured.inspect import (
    ConfigOut,
    HistoryOut,
    KeyListOut,
    RunListOut,
    RunSummaryOut,
    StatsOut,
)
from runwise.ports.renderer import Renderer
from runwise.services import inspect as inspect_service
from runwise.services.fitting import Fitted
from runwise.services.summarize import build_run_summary, cut_summary

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

RunState = Literal["running", "finished", "crashed", "unknown"]


# list ---------------------------------------------------------------------------------------------
class ListParams(Params):
    source: Annotated[str | None, Field(max_length=64, description="Only this source, e.g. 'jsonl'.")] = None
    project: Annotated[str | None, Field(max_length=256, description="Only this project.")] = None
    state: Annotated[RunState | None, Field(description="Only runs in this state.")] = None
    limit: Annotated[int, Field(ge=1, le=500, description="Most runs, newest first.")] = 50
    token_budget: Budget = 500


@attrs.frozen
class RunListing:
    """Runs found (newest first, at most `limit`), how many matched in all, and what was asked."""

    __repr__ = fields_repr

    runs: tuple[RunInfo, ...]
    total: int
    filters: tuple[tuple[str, str], ...]
    where: str | None


def _list(app: Runwise, p: ListParams) -> RunListing:
    found = inspect_service.list_runs(app.catalog, source=p.source, project=p.project, state=p.state, limit=None)
    filters = tuple((k, v) for k, v in (("source", p.source), ("project", p.project), ("state", p.state)) if v)
    roots = app.catalog.roots
    return RunListing(tuple(found[: p.limit]), len(found), filters, ", ".join(str(r) for r in roots) if roots else None)


LIST = Capability(
    name="list",
    tool="list_runs",
    title="List runs",
    help="list discovered runs, newest first",
    description="Step 1: runs under the roots, newest first, with state and last step. "
    "Pass an id (or 'latest') as `run` to other tools.",
    params=ListParams,
    output=RunListOut,
    use=_list,
    sections=lambda r, res, p: r.runs_sections(res.runs, total=res.total, filters=dict(res.filters), where=res.where),
    structured=lambda res, fit: RunListOut.of(res.runs[: fit.count("runs")], total=res.total),
    warnings=lambda app, res: [notice.line() for notice in app.catalog.notices()],  # what discovery passed over
)


# keys ---------------------------------------------------------------------------------------------
class KeysParams(Params):
    run: RunRef = "latest"
    prefix: Annotated[str | None, Field(max_length=256, description="Only keys starting with this, e.g. 'val/'.")] = (
        None
    )
    token_budget: Budget = 300


def _keys(app: Runwise, p: KeysParams) -> KeyListing:
    listing = inspect_service.keys(app.catalog, p.run, app.schema, prefix=p.prefix)
    return listing


def _keys_out(listing: KeyListing, fit: Fitted) -> KeyListOut:
    """The keys on the lines the text shows (a line lists the keys of a group sharing counts and steps)."""
    groups = []
    for group in listing.groups:
        lines = list(same_span(group.keys).values())[: fit.count(f"keys:{group.prefix}")]
        kept = tuple(k for line in lines for k in line)
        if kept:
            groups.append(KeyGroup(group.prefix, tuple(sorted(kept, key=lambda k: k.key))))
    return KeyListOut.of(attrs.evolve(listing, groups=tuple(groups)))


KEYS = Capability(
    name="keys",
    tool="list_keys",
    title="List a run's metric keys",
    help="list a run's metric keys, grouped by prefix",
    description="Step 2: a run's metric keys by prefix, with point counts and step ranges.",
    params=KeysParams,
    output=KeyListOut,
    use=_keys,
    sections=lambda r, res, p: r.keys_sections(res, p.run),
    structured=_keys_out,
    reads=lambda p: (p.run,),
)


# summary ------------------------------------------------------------------------------------------
class SummaryParams(Params):
    run: RunRef = "latest"
    token_budget: budget_param(low=100) = 400  # type: ignore[valid-type]


SUMMARY = Capability(
    name="summary",
    tool="summarize_run",
    title="Summarize a run",
    help="summarise a run: REF is latest, an id, a name prefix, a path...",
    description="Step 3: headline, key metrics (last, best, trend), anomalies and next steps in a few hundred "
    "tokens, computed on every point.",
    params=SummaryParams,
    output=RunSummaryOut,
    use=lambda app, p: build_run_summary(app.catalog, p.run, schema=app.schema, analyzer=app.analyzer),
    sections=lambda r, res, p: r.summary_sections(res, p.run),
    structured=lambda res, fit: RunSummaryOut.of(cut_summary(res, fit), fit.tokens),
    cli_fits=True,
    reads=lambda p: (p.run,),
    cli_name="run",
    cli_aliases={"latest": {"run": "latest"}},
)


# history ------------------------------------------------------------------------------------------
class HistoryParams(Params):
    keys: Annotated[
        list[KeyName],
        Field(min_length=1, max_length=20, description=f"{KEYS_HELP}."),
        Cli(("-k", "--keys"), split=True),
    ]
    run: RunRef = "latest"
    samples: Annotated[
        int, Field(ge=2, le=inspect_service.MAX_SAMPLES, description="Points per key; extremes and NaNs kept.")
    ] = inspect_service.DEFAULT_SAMPLES
    from_step: Annotated[int | None, Field(ge=0, description="First step."), Cli(("--from",))] = None
    to_step: Annotated[int | None, Field(ge=0, description="Last step."), Cli(("--to",))] = None
    align: Annotated[bool, Field(description="Read keys logged at different rates on one step grid.")] = False
    token_budget: Budget = 600


def _history(app: Runwise, p: HistoryParams) -> History:
    keys = list(dict.fromkeys(p.keys))
    return inspect_service.get_history(
        app.catalog, p.run, keys, app.schema, samples=p.samples, start=p.from_step, stop=p.to_step, aligned=p.align
    )


def _fewer_samples(p: HistoryParams, tokens: int, budget: int) -> HistoryParams | None:
    """Fewer points per key, in proportion to how far over budget the answer is."""
    if p.samples <= 2:
        return None
    return p.model_copy(update={"samples": max(2, min(p.samples - 1, int(p.samples * budget / tokens * 0.9)))})


HISTORY = Capability(
    name="history",
    tool="get_history",
    title="Get downsampled metric history",
    help="downsampled history of keys (extremes kept)",
    description="Step 4, only when a curve's shape matters: downsampled step:value pairs of named keys "
    "(min, max and NaN of each bucket kept), optionally between two steps. Over budget: fewer samples.",
    params=HistoryParams,
    output=HistoryOut,
    use=_history,
    sections=lambda r, res, p: r.history_sections(res, asked=p.samples, budget=p.token_budget),
    structured=lambda res, fit: HistoryOut.of(res),
    reads=lambda p: (p.run,),
    refine=_fewer_samples,
)


# stats --------------------------------------------------------------------------------------------
class StatsParams(Params):
    run: RunRef = "latest"
    keys: Annotated[
        list[KeyName] | None,
        Field(max_length=200, description=f"{KEYS_HELP}; omit for every key."),
        Cli(("-k", "--keys"), split=True),
    ] = None
    token_budget: Budget = 600


STATS = Capability(
    name="stats",
    tool="get_stats",
    title="Get metric statistics",
    help="min/max/mean/last/best and NaN counts per key",
    description="Exact statistics over every point: min/max (with steps), mean, last, best, NaN/Inf count per key.",
    params=StatsParams,
    output=StatsOut,
    use=lambda app, p: inspect_service.get_stats(app.catalog, p.run, list(dict.fromkeys(p.keys or ())), app.schema),
    sections=lambda r, res, p: r.stats_sections(res),
    structured=lambda res, fit: StatsOut.of(attrs.evolve(res, rows=res.rows[: fit.count("stats")])),
    reads=lambda p: (p.run,),
)


# config -------------------------------------------------------------------------------------------
class ConfigParams(Params):
    run: RunRef = "latest"
    token_budget: Budget = 500


def _config_out(res: tuple[RunInfo, dict[str, Any]], fit: Fitted) -> ConfigOut:
    from runwise.adapters.renderers.tabular import flatten_config

    info, config = res
    flat = flatten_config(config)
    shown = set(list(flat)[: fit.count("config")])
    return ConfigOut.of(info, _only(config, shown))


def _only(config: dict[str, Any], keep: set[str], prefix: str = "") -> dict[str, Any]:
    """The nested config restricted to the dotted keys in `keep`."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            inner = _only(value, keep, f"{full}.")
            if inner:
                out[key] = inner
        elif full in keep:
            out[key] = value
    return out


CONFIG = Capability(
    name="config",
    tool="get_config",
    title="Get a run's config",
    help="a run's config",
    description="A run's recorded config (hyperparameters), flattened to dotted keys.",
    params=ConfigParams,
    output=ConfigOut,
    use=lambda app, p: inspect_service.get_config(app.catalog, p.run),
    sections=lambda r, res, p: r.config_sections(*res),
    structured=_config_out,
    reads=lambda p: (p.run,),
)

CAPABILITIES = (LIST, KEYS, SUMMARY, HISTORY, STATS, CONFIG)
__all__ = ["CAPABILITIES", "Renderer"]
