"""build_server(app): the Runwise MCP server, one tool per declared capability, with resources and a prompt.

Answering `initialize` needs none of them: the tools, resources and prompt are added when a client first asks for
one of them (`ready`), and the app is wired when a tool first reads runs (ServerState). The declarations bring
their use cases (numpy, the detectors, every structured result model) and the SDK builds a pydantic model per tool
on `add_tool`; a spawned server answered `initialize` only after all of that (bench/bench_mcp.py).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import (
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    Prompt,
    Resource,
    ResourceTemplate,
    ToolAnnotations,
)
from mcp_types import Tool as ToolInfo
from pydantic import ValidationError

from runwise import __version__
from runwise.entrypoints.capabilities.index import TOOL_NAMES
from runwise.entrypoints.mcp.lean_schema import lean, lean_output
from runwise.entrypoints.mcp.state import ServerState

if TYPE_CHECKING:
    from pydantic.networks import AnyUrl

    from runwise.bootstrap import Runwise

INSTRUCTIONS = (
    "Runwise reads machine-learning training logs under the allowed roots and answers in few tokens. "
    "Zoom in, and stop as soon as you can answer. Tools, cheapest first: "
    + ", ".join(TOOL_NAMES)
    + ". Start with list_runs (or run='latest'), then health_check or summarize_run; get_history or plot_metrics "
    "only when a curve's shape matters. Every answer fits token_budget; raise it only when the text says something was left "
    "out. All tools are read-only; paths outside the roots are refused."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class RunwiseServer(MCPServer[ServerState]):
    """MCPServer whose argument errors read as one sentence, that refuses unknown arguments, and whose tool
    list carries lean JSON schemas (no titles, nullable types folded), since clients load it into every chat.

    Its tools, resources and prompt are added by `register` on the first request that needs one."""

    def __init__(self, *args: Any, register: Callable[[MCPServer[ServerState]], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._register: Callable[[MCPServer[ServerState]], None] | None = register
        self._registering = threading.Lock()

    def ready(self) -> None:
        """Add the tools, resources and prompt now, if not done yet."""
        if self._register is not None:
            with self._registering:
                if self._register is not None:
                    self._register(self)
                    self._register = None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[ServerState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        self.ready()
        from runwise.entrypoints.capabilities import BY_TOOL

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
        self.ready()
        return [
            tool.model_copy(
                update={
                    "input_schema": lean(tool.input_schema),
                    "output_schema": lean_output(tool.output_schema) if tool.output_schema else None,
                }
            )
            for tool in await super().list_tools()
        ]

    async def list_resources(self) -> list[Resource]:
        self.ready()
        return await super().list_resources()

    async def list_resource_templates(self) -> list[ResourceTemplate]:
        self.ready()
        return await super().list_resource_templates()

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[ServerState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        self.ready()
        return await super().read_resource(uri, context)

    async def list_prompts(self) -> list[Prompt]:
        self.ready()
        return await super().list_prompts()

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[ServerState, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        self.ready()
        return await super().get_prompt(name, arguments, context)


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


def build_server(
    app: Runwise | Callable[[], Runwise], *, client_roots: bool | None = None, **options: Any
) -> RunwiseServer:
    """A fresh server over `app` (or the function wiring it on first use). `client_roots`: use the roots a client
    offers (default: when none are configured; required with a wiring function).

    `options` go to MCPServer as they are (the HTTP transport's `auth` and `token_verifier`)."""
    if client_roots is None:
        if callable(app):
            raise TypeError("build_server: pass client_roots with a function that wires the app")
        client_roots = not app.settings.roots
    state = ServerState(app, client_roots=client_roots)

    @asynccontextmanager
    async def lifespan(_: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        yield state

    def register(server: MCPServer[ServerState]) -> None:
        from mcp.server.mcpserver.prompts import Prompt as PromptFunction

        from runwise.entrypoints.capabilities import TOOLS
        from runwise.entrypoints.mcp.resources import diagnose_run, register_resources
        from runwise.entrypoints.mcp.toolkit import tool_function

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
        server.add_prompt(PromptFunction.from_function(diagnose_run, title="Diagnose a run"))

    return RunwiseServer(
        "runwise",
        title="Runwise",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        register=register,
        **options,
    )
