"""One MCP tool per declared capability, and one way to answer or fail.

The services are synchronous (file parsing, numpy), so each call runs them on a worker thread and
the event loop stays free. Every failure reaches the client as a tool error of one line, worded in
tool arguments (never a CLI flag).
"""

from __future__ import annotations

import base64
import inspect
import logging
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from mcp_types import CallToolResult, ImageContent, ListRootsResult, TextContent
from pydantic import Field

from runwise.bootstrap import Runwise
from runwise.domain.errors import RunwiseError
from runwise.domain.query.errors import QueryError
from runwise.entrypoints.capabilities.declaration import Capability, Cli, Params
from runwise.entrypoints.capabilities.execute import Answer, execute
from runwise.entrypoints.capabilities.wording import TOOL_WORDING
from runwise.entrypoints.mcp.state import ServerState, offered_roots, run_identity

log = logging.getLogger(__name__)

Roots = Annotated[ListRootsResult | None, Resolve(offered_roots)]
QUERY_WINDOW = 60  # characters of a long query shown around the error position


def tool_function(capability: Capability) -> Callable[..., Any]:
    """An async tool whose signature is the capability's parameters (plus the injected context and roots)."""

    async def tool(ctx: Context[ServerState], roots: Roots, **arguments: Any) -> CallToolResult:
        return await answer(ctx, roots, capability, capability.params(**arguments))

    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context[ServerState]),
        inspect.Parameter("roots", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Roots),
    ]
    annotations: dict[str, Any] = {"ctx": Context[ServerState], "roots": Roots}
    for name, field in capability.params.model_fields.items():
        metadata = [m for m in field.metadata if not isinstance(m, Cli)]
        annotation: Any = Annotated[(field.annotation, *metadata, Field(description=field.description))]
        default = inspect.Parameter.empty if field.is_required() else field.default
        parameters.append(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )
        annotations[name] = annotation
    returns = Annotated[CallToolResult, capability.output]
    tool.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    tool.__annotations__ = {**annotations, "return": returns}
    tool.__name__ = tool.__qualname__ = capability.tool_name
    return tool


async def answer(
    ctx: Context[ServerState], offered: ListRootsResult | None, capability: Capability, params: Params
) -> CallToolResult:
    """Run the capability on a worker thread; the answer is remembered until a run it read changes.

    The cache key is the validated parameters (all of them) and the identity of the runs they name.
    """
    state = ctx.request_context.lifespan_context

    def job(app: Runwise) -> CallToolResult:
        def work() -> CallToolResult:
            return reply(call(capability, app, params), capability)

        if capability.reads is None:  # reads every run under the roots: not cached
            return work()
        refs = tuple(capability.reads(params))
        key = (capability.tool_name, params.model_dump_json(), tuple(run_identity(app, ref) for ref in refs))
        return state.results.get_or_compute(key, work)

    try:
        app = state.app_for(offered)
        return await anyio.to_thread.run_sync(job, app)
    except RunwiseError as exc:
        raise ToolError(error_text(exc)) from exc
    except Exception as exc:
        log.exception("%s failed", capability.tool_name)
        raise ToolError(unexpected(capability.tool_name, exc)) from exc


def call(capability: Capability, app: Runwise, params: Params) -> Answer:
    """The capability's answer as an assistant reads it: markdown, tool wording, the call's budget."""
    return execute(
        capability, app, params, renderer=app.renderer("md"), wording=TOOL_WORDING, budget=capability.budget_of(params)
    )


def reply(answer: Answer, capability: Capability | None = None) -> CallToolResult:
    """The structured result with its fitted text (after the image, for a capability that draws one)."""
    content: list[Any] = [TextContent(type="text", text=answer.text)]
    if capability is not None and capability.media is not None:
        mime, data = capability.media(answer.result)
        content.insert(0, ImageContent(type="image", data=base64.b64encode(data).decode("ascii"), mime_type=mime))
    return CallToolResult(content=content, structured_content=answer.data())


def error_text(exc: RunwiseError) -> str:
    """The error in one line, in tool words; a query error marks its position with «»."""
    if isinstance(exc, QueryError):
        text = " ".join(exc.head(TOOL_WORDING).split())
        return text + (f" (at «»: {marked(exc.text, exc.position)})" if exc.text else "")
    return " ".join(exc.words(TOOL_WORDING).split())


def marked(text: str, position: int, window: int = QUERY_WINDOW) -> str:
    """`text` on one line with «» around the character at `position` (or «» at the end), long text windowed."""
    start = max(0, min(position - window // 2, len(text) - window))
    end = min(len(text), start + window)
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    before = ("…" if start else "") + shown[start:position]
    after = shown[position + 1 : end] + ("…" if end < len(text) else "")
    return f"{before}«{shown[position : position + 1]}»{after}"


def unexpected(action: str, exc: BaseException) -> str:
    """One line for a failure nobody anticipated: what failed, and that details are in the server log."""
    detail = " ".join(str(exc).split())[:160] or "no message"
    return (
        f"{action} failed unexpectedly ({type(exc).__name__}: {detail}); the server log on stderr has the details, "
        "and other calls still work."
    )
