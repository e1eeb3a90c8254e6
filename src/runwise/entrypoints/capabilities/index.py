"""Where each capability is declared, with the words `runwise --help` shows for it, readable without importing it.

A declaration brings pydantic, its structured result models, its use case and what that needs (numpy and the
detectors): importing every declaration cost the CLI ~0.18 s before it read a byte (`python -X importtime`,
bench/bench_speed.py). So `runwise --help` lists the commands from this index alone, `runwise run` imports
only the module declaring `run`, and a hint naming another capability (`runwise keys latest`) imports that
capability's module only. The order is the declaration table's (capabilities/table.py builds the table from it).

Nothing here may drift from the declarations: tests/e2e/test_declarations.py compares every entry with the
capability it points at (name, command, help, aliases).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from runwise.entrypoints.capabilities.declaration import Capability

NO_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType({})


class Entry(NamedTuple):
    """One capability: its API name, CLI command (two words for a command of a group), one-line help, the module
    (under runwise.entrypoints.capabilities) and name it is declared as, its aliases with their preset values and
    its MCP tool's name."""

    name: str
    command: str
    help: str
    module: str
    attribute: str
    aliases: Mapping[str, Mapping[str, str]] = NO_ALIASES
    tool: str | None = None  # the MCP tool (None for a CLI-only capability)

    @property
    def word(self) -> str:
        """The first command word: `github` for `github comment`."""
        return self.command.split()[0]

    def load(self) -> Capability:
        """The declaration itself (imports its module)."""
        module = importlib.import_module(f"runwise.entrypoints.capabilities.{self.module}")
        capability: Capability = getattr(module, self.attribute)
        return capability


# the order of the zoom-in: one run first, from the cheapest answer, then several runs
ENTRIES: tuple[Entry, ...] = (
    Entry("list", "list", "list discovered runs, newest first", "inspect", "LIST", tool="list_runs"),
    Entry("keys", "keys", "list a run's metric keys, grouped by prefix", "inspect", "KEYS", tool="list_keys"),
    Entry(
        "summary",
        "run",
        "summarise a run: REF is latest, an id, a name prefix, a path...",
        "inspect",
        "SUMMARY",
        MappingProxyType({"latest": MappingProxyType({"run": "latest"})}),
        tool="summarize_run",
    ),
    Entry(
        "health",
        "health",
        "healthy / warning / critical and the main finding",
        "analysis",
        "HEALTH",
        tool="health_check",
    ),
    Entry(
        "history", "history", "downsampled history of keys (extremes kept)", "inspect", "HISTORY", tool="get_history"
    ),
    Entry("stats", "stats", "min/max/mean/last/best and NaN counts per key", "inspect", "STATS", tool="get_stats"),
    Entry(
        "anomalies",
        "anomalies",
        "every anomaly episode, with lr analysis and next steps",
        "analysis",
        "ANOMALIES",
        tool="detect_anomalies",
    ),
    Entry(
        "stability",
        "stability",
        "rolling std and coefficient of variation per key",
        "analysis",
        "STABILITY",
        tool="analyze_stability",
    ),
    Entry(
        "compare",
        "compare",
        "two or more runs side by side (REF@STEP compares at a step)",
        "compare",
        "COMPARE",
        tool="compare_runs",
    ),
    Entry("best", "best", "the best discovered run for a metric", "compare", "BEST", tool="find_best_run"),
    Entry(
        "query",
        "query",
        'runs matching an expression, e.g. "val/acc > 80%% and config.lr < 0.01"',
        "compare",
        "QUERY",
        tool="query_runs",
    ),
    Entry(
        "aggregate",
        "aggregate",
        "mean ± std and 95%% CI over seeds (or --group-by)",
        "compare",
        "AGGREGATE",
        tool="aggregate_runs",
    ),
    Entry("config", "config", "a run's config", "inspect", "CONFIG", tool="get_config"),
    Entry(
        "init",
        "init",
        "write a metric schema file from a run or a template",
        "analysis",
        "INIT",
        tool="generate_schema",
    ),
    Entry("plot", "plot", "terminal chart of metrics with anomaly markers", "pictures", "PLOT", tool="plot_metrics"),
    Entry(
        "report",
        "report",
        "one self-contained HTML report with charts (-o FILE); --format md for PR comments",
        "pictures",
        "REPORT",
        tool="report_runs",
    ),
    Entry(
        "events",
        "watch",
        "follow runs as they train: one line per new anomaly, NaN, stall, best value, finish or crash",
        "watch",
        "EVENTS",
        tool="get_run_events",
    ),
    Entry(
        "cost",
        "cost",
        "runtime × accelerators × price; for a running run the projection to its planned length",
        "watch",
        "COST",
        tool="estimate_cost",
    ),
    Entry("notify", "notify", "send a run's summary to Slack (RUNWISE_SLACK_WEBHOOK)", "share", "NOTIFY"),
    Entry(
        "github_comment",
        "github comment",
        "post or update the runs' report as a pull-request comment",
        "share",
        "COMMENT",
    ),
)
BY_NAME: Mapping[str, Entry] = MappingProxyType({entry.name: entry for entry in ENTRIES})


TOOL_NAMES = tuple(entry.tool for entry in ENTRIES if entry.tool is not None)


def invoked(word: str) -> list[Entry]:
    """The entries a CLI command word runs: its own command (every command of a group) or an alias of it."""
    return [entry for entry in ENTRIES if word == entry.word or word in entry.aliases]


def capability(name: str) -> Capability | None:
    """The capability of that API name, importing only the module declaring it; None if there is none."""
    entry = BY_NAME.get(name)
    return entry.load() if entry is not None else None
