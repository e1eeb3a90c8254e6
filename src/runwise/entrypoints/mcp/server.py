"""build_server(app): the Runwise MCP server, one tool per declared capability, with resources and a prompt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.prompts import Prompt
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from mcp_types import Tool as ToolInfo
from pydantic import ValidationError

from runwise import __version__
from runwise.bootstrap import Runwise
from runwise.entrypoints.capabilities import BY_TOOL, TOOLS
from runwise.entrypoints.mcp.lean_schema import lean, lean_output
from runwise.entrypoints.mcp.resources import diagnose_run, register_resources
from runwise.entrypoints.mcp.state import ServerState
from runwise.entrypoints.mcp.toolkit import tool_function

INSTRUCTIONS = (
    "Runwise reads machine-learning training logs under the allowed roots and answers in few tokens. "
    "Zoom in, and stop as soon as you can answer. Tools, cheapest first: "
    + ", ".join(c.tool_name for c in TOOLS)
    + ". Start with list_runs (or run='latest'), then health_check or summarize_run; get_history or plot_metrics "
    "only when a curve's shape matters. Every answer fits token_budget; raise it only when the text says something was left "
    "out. All tools are read-only; paths outside the roots are refused."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class RunwiseServer(MCPServer[ServerState]):
    """MCPServer whose argument errors read as one sentence, that refuses unknown arguments, and whose tool
    list carries lean JSON schemas (no titles, nullable types folded), since clients load it into every chat."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[ServerState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        capability = BY_TOOL.get(name)
        if capability is not None:
            unknown = [a for a in arguments if a not in capability.params.model_fields]
            if unknown:
                raise ToolError(unknown_arguments(name, unknown, capability.accepted()))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                raise ToolError(invalid_arguments(name, cause)) from cause
            raise

    async def list_tools(self) -> list[ToolInfo]:
        return [
            tool.model_copy(
                update={
                    "input_schema": lean(tool.input_schema),
                    "output_schema": lean_output(tool.output_schema) if tool.output_schema else None,
                }
            )
            for tool in await super().list_tools()
        ]


def unknown_arguments(tool: str, unknown: list[str], accepted: list[str]) -> str:
    """Which arguments the tool does not take, and the ones it does."""
    names = ", ".join(repr(a) for a in unknown)
    noun = "arguments" if len(unknown) > 1 else "argument"
    return f"Unknown {noun} {names} for {tool}; it accepts: {', '.join(accepted)}."


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
    for capability in TOOLS:
        server.add_tool(
            tool_function(capability),
            name=capability.tool_name,
            title=capability.title,
            description=capability.description,
            annotations=READ_ONLY,
            structured_output=True,
        )
    register_resources(server, state)
    server.add_prompt(Prompt.from_function(diagnose_run, title="Diagnose a run"))
    return server
