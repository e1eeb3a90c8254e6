"""Each tool's markdown text, fitted to its token budget; the text says what it left out and how to get it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from runwise.domain.inspect import History, KeyGroup, KeyListing, StatsTable
from runwise.domain.model import RunInfo
from runwise.domain.numbers import format_step
from runwise.domain.roles import ROLE_PRIORITY
from runwise.entrypoints.mcp.fitting import fit_table, plural
from runwise.ports.renderer import Renderer
from runwise.ports.tokens import TokenCounter

MIN_SAMPLES = 2
MARKDOWN_TABLE_HEAD = 3  # run line, header row, separator row


def runs_text(
    runs: Sequence[RunInfo],
    roots: Sequence[object] | None,
    *,
    renderer: Renderer,
    counter: TokenCounter,
    budget: int,
    total: int | None = None,
    filters: Mapping[str, str] | None = None,
) -> str:
    """The run table, oldest rows dropped first; `total` counts the runs beyond the limit too."""
    where = ", ".join(str(r) for r in roots) if roots else "the discovery folder"
    if not runs and filters:
        asked = ", ".join(f"{k}={v!r}" for k, v in filters.items())
        return f"No runs with {asked} under {where}; call list_runs without filters to see every run."
    if not runs:
        return (
            f"No runs found under {where}. Runwise reads JSONL metric logs (and other supported sources) there; "
            "start the server with --root pointing at the folder that holds the training logs."
        )
    beyond = (total or len(runs)) - len(runs)
    text, shown = fit_table(
        renderer.runs(runs),
        head_lines=2,
        counter=counter,
        budget=budget,
        more=lambda n: f"+{plural(n + beyond, 'more run')}: filter by project or state, or raise token_budget",
    )
    if beyond and shown == len(runs):
        text += f"\n+{plural(beyond, 'more run')}: raise limit, or filter by project or state"
    return text


def keys_text(listing: KeyListing, ref: str, *, renderer: Renderer, counter: TokenCounter, budget: int) -> str:
    """Keys with counts and step ranges; when that is too long, names per prefix group, then counts only."""
    full = renderer.keys(listing, ref)
    if counter.count(full) <= budget:
        return full
    head = full.split("\n", 1)[0]
    widest = max((len(g.keys) for g in listing.groups), default=0)

    def compact(cap: int) -> str:
        lines = [head, *(_group_line(g, cap) for g in listing.groups)]
        if listing.non_series:
            lines.append(f"not series: {len(listing.non_series)} keys")
        lines.append("Per-key counts and ranges: call list_keys with prefix='<group>/'.")
        return "\n".join(lines)

    lo, hi = 0, widest  # the largest number of names per group that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if counter.count(compact(mid)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return compact(lo)


def _group_line(group: KeyGroup, cap: int) -> str:
    names = [k.key[len(group.prefix) :] if group.prefix else k.key for k in group.keys]
    shown = ", ".join(names[:cap]) + (f", +{len(names) - cap} more" if len(names) > cap and cap else "")
    points = [k.count for k in group.keys]
    firsts = [k.first_step for k in group.keys if k.first_step is not None]
    lasts = [k.last_step for k in group.keys if k.last_step is not None]
    low, high = min(points, default=0), max(points, default=0)
    span = f"{low:,}" if low == high else f"{low:,}–{high:,}"
    steps = f", steps {format_step(min(firsts))}–{format_step(max(lasts))}" if firsts and lasts else ""
    bad = sum(1 for k in group.keys if k.nonfinite)
    warn = f", {plural(bad, 'key')} with non-finite values" if bad else ""
    label = group.prefix or "(no prefix) "
    listed = f": {shown}" if cap else ""
    return f"{label}{plural(len(names), 'key')}{listed} · {span} pts{steps}{warn}"


def filter_keys(listing: KeyListing, prefix: str) -> KeyListing:
    """Only the keys that start with `prefix`."""
    groups = []
    for group in listing.groups:
        keys = tuple(k for k in group.keys if k.key.startswith(prefix))
        if keys:
            groups.append(KeyGroup(group.prefix, keys))
    total = sum(len(g.keys) for g in groups)
    return attrs.evolve(listing, groups=tuple(groups), total=total, non_series=())


def fitted_history(
    load: Callable[[int], History], samples: int, *, renderer: Renderer, counter: TokenCounter, budget: int
) -> tuple[History, str]:
    """The history at `samples` points per key, or at fewer when that does not fit the budget (the text says so)."""
    used = samples
    history = load(used)
    text = renderer.history(history)
    tokens = counter.count(text)
    while tokens > budget and used > MIN_SAMPLES:
        used = max(MIN_SAMPLES, min(used - 1, int(used * budget / tokens * 0.9)))
        history = load(used)
        text = renderer.history(history) + "\n" + _reduced_note(samples, used, budget)
        tokens = counter.count(text)
    return history, text


def _reduced_note(asked: int, used: int, budget: int) -> str:
    return (
        f"(samples reduced from {asked} to {used} per key to fit {budget} tokens; for more detail narrow "
        "from_step/to_step, ask for fewer keys, or raise token_budget)"
    )


def stats_text(table: StatsTable, *, renderer: Renderer, counter: TokenCounter, budget: int) -> str:
    """The statistics table; when it is too long, losses and validation metrics are kept first."""
    full = renderer.stats(table)
    if counter.count(full) <= budget:
        return full
    order = sorted(table.rows, key=lambda st: ROLE_PRIORITY.get(table.roles.get(st.key), 99))  # type: ignore[arg-type]
    text, _ = fit_table(
        renderer.stats(attrs.evolve(table, rows=tuple(order))),
        head_lines=MARKDOWN_TABLE_HEAD,
        counter=counter,
        budget=budget,
        more=lambda n: f"+{plural(n, 'more key')}: name them in keys=[...], or raise token_budget",
    )
    return text


def config_text(
    info: RunInfo, config: Mapping[str, Any], *, renderer: Renderer, counter: TokenCounter, budget: int
) -> str:
    """The flattened config table, cut to the budget."""
    text, _ = fit_table(
        renderer.config(info, config),
        head_lines=MARKDOWN_TABLE_HEAD,
        counter=counter,
        budget=budget,
        more=lambda n: f"+{n:,} more config entries: raise token_budget to see them",
    )
    return text
