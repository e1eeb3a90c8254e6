"""build_server(app): the Runwise MCP server, with its tools, resources, prompt and instructions."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.prompts import Prompt
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import ValidationError

from runwise import __version__
from runwise.bootstrap import Runwise
from runwise.entrypoints.mcp import tools as inspect_tools
from runwise.entrypoints.mcp import tools_analysis as analysis_tools
from runwise.entrypoints.mcp import tools_compare as compare_tools
from runwise.entrypoints.mcp import tools_pictures as picture_tools
from runwise.entrypoints.mcp.resources import diagnose_run, register_resources
from runwise.entrypoints.mcp.state import ServerState

INSTRUCTIONS = """\
Runwise reads machine-learning training logs (JSONL metric logs and other supported sources) under \
the allowed roots and answers in few tokens. Zoom in, and stop as soon as you can answer:
1. list_runs: which runs exist (or just use run='latest').
2. list_keys: which metrics a run logged, with point counts and step ranges.
3. health_check: healthy, warning or critical and the one finding that matters, within 80 tokens; \
summarize_run: headline, key metrics (last, best, trend), anomalies and next steps, within 400 tokens.
4. detect_anomalies for every problem episode with steps; get_stats for exact numbers on named keys; \
analyze_stability for how noisy metrics are; get_history (downsampled, extremes and NaNs kept) only \
when the shape of a curve matters, for few keys and a narrow step range; get_config for hyperparameters.
Across runs: compare_runs (two or more runs side by side, optionally their config differences), \
find_best_run (the best run for one metric), query_runs (runs matching an expression such as \
val/acc > 80% and config.lr < 0.01). generate_schema drafts a metric schema (TOML) from a run's keys; \
it writes nothing. plot_metrics returns a small PNG chart (anomalies shaded) when a curve's shape matters.
Every answer fits a token budget (token_budget); raise it only when the text says something was left out. \
All tools are read-only; paths outside the allowed roots are refused."""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
TOOLS = (
    inspect_tools.list_runs,
    inspect_tools.list_keys,
    inspect_tools.summarize_run,
    analysis_tools.health_check,
    inspect_tools.get_history,
    inspect_tools.get_stats,
    analysis_tools.detect_anomalies,
    analysis_tools.analyze_stability,
    compare_tools.compare_runs,
    compare_tools.find_best_run,
    compare_tools.query_runs,
    inspect_tools.get_config,
    analysis_tools.generate_schema,
    picture_tools.plot_metrics,
)  # the design's order: the zoom-in first, then analysis, then several runs
TITLES = {
    "list_runs": "List runs",
    "list_keys": "List a run's metric keys",
    "summarize_run": "Summarize a run",
    "health_check": "Check a run's health",
    "get_history": "Get downsampled metric history",
    "get_stats": "Get metric statistics",
    "detect_anomalies": "Detect a run's anomalies",
    "analyze_stability": "Analyze metric stability",
    "compare_runs": "Compare runs",
    "find_best_run": "Find the best run for a metric",
    "query_runs": "Query runs",
    "get_config": "Get a run's config",
    "generate_schema": "Generate a metric schema",
    "plot_metrics": "Plot metrics as an image",
}


class RunwiseServer(MCPServer[ServerState]):
    """MCPServer whose argument errors read as one sentence instead of pydantic's multi-line report."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[ServerState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                raise ToolError(invalid_arguments(name, cause)) from cause
            raise


def invalid_arguments(tool: str, error: ValidationError) -> str:
    """The first problem with a call's arguments, in one sentence."""
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "arguments"
    message = first["msg"][:1].lower() + first["msg"][1:]
    got = "" if first["type"] == "missing" else f" (got {_short(first.get('input'))})"
    more = f" (+{len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"Invalid argument '{where}' for {tool}: {message}{got}{more}; fix it as the tool's input schema says."


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(fn: Callable[..., object]) -> str:
    """A docstring as a tool description: indentation gone, each paragraph on one line."""
    paragraphs = inspect.cleandoc(fn.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def build_server(app: Runwise, *, client_roots: bool | None = None, **options: Any) -> MCPServer[ServerState]:
    """A fresh server over `app`. `client_roots`: use the roots a client offers (default: when none are configured).

    `options` go to MCPServer as they are (the HTTP transport's `auth` and `token_verifier`)."""
    state = ServerState(app, client_roots=not app.settings.roots if client_roots is None else client_roots)

    @asynccontextmanager
    async def lifespan(_: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        yield state

    server = RunwiseServer(
        "runwise", title="Runwise", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan, **options
    )
    for tool in TOOLS:
        server.add_tool(
            tool, title=TITLES[tool.__name__], description=describe(tool), annotations=READ_ONLY, structured_output=True
        )
    register_resources(server, state)
    server.add_prompt(Prompt.from_function(diagnose_run, title="Diagnose a run"))
    return server
