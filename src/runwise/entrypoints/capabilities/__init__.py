"""Every capability, declared once; the MCP tools, the CLI commands and the Python API are derived from this table.

How to add a read-only capability (e.g. `plot`):
1. the use case in services/ (or the domain), returning a domain result;
2. the renderer's sections for that result (adapters/renderers/..., and the Renderer port);
3. its declaration here: a `Params` model (names, defaults, bounds, descriptions; `Cli(...)` only where
   the CLI spells a parameter differently), the structured result model (entrypoints/structured/),
   `use`, `sections`, `structured` (cut to what the fitted text shows) and its help texts,
   added to `CAPABILITIES`;
4. tests: the interface-agreement test walks this table by itself; add the capability's own
   behaviour tests (and a call in tests/e2e/calls.py, which the three-transport test runs).
Nothing else: `runwise <name>`, the MCP tool, `runwise.api.Session.<name>` and the result cache follow.

A capability with a side effect a person starts (posting to Slack or GitHub) is declared with `cli_only` (why)
instead of `tool`: it is a CLI command only, with no MCP tool and no API method.
"""

from __future__ import annotations

from runwise.entrypoints.capabilities import analysis, compare, inspect, pictures, share, watch
from runwise.entrypoints.capabilities.declaration import Capability, Params

# the order of the zoom-in: one run first, from the cheapest answer, then several runs
CAPABILITIES: tuple[Capability, ...] = (
    inspect.LIST,
    inspect.KEYS,
    inspect.SUMMARY,
    analysis.HEALTH,
    inspect.HISTORY,
    inspect.STATS,
    analysis.ANOMALIES,
    analysis.STABILITY,
    compare.COMPARE,
    compare.BEST,
    compare.QUERY,
    compare.AGGREGATE,
    inspect.CONFIG,
    analysis.INIT,
    pictures.PLOT,
    pictures.REPORT,
    watch.EVENTS,
    watch.COST,
    share.NOTIFY,
    share.COMMENT,
)
TOOLS = tuple(c for c in CAPABILITIES if c.tool is not None)  # the MCP tools and the API methods; the rest: CLI only
BY_NAME = {c.name: c for c in CAPABILITIES}
BY_TOOL = {c.tool_name: c for c in TOOLS}

__all__ = ["BY_NAME", "BY_TOOL", "CAPABILITIES", "TOOLS", "Capability", "Params"]
