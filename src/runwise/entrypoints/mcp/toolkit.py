"""What every MCP tool shares: the REF argument, the roots resolver, and one way to answer or fail.

The services are synchronous (file parsing, numpy), so each call runs them on a worker thread and
the event loop stays free. Every failure reaches the client as a tool error of one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from typing import Annotated

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from mcp_types import CallToolResult, ListRootsResult, TextContent
from pydantic import BaseModel, Field

from runwise.bootstrap import Runwise
from runwise.domain.errors import RunwiseError
from runwise.domain.query.errors import QueryError
from runwise.entrypoints.mcp.state import ServerState, offered_roots, run_identity

log = logging.getLogger(__name__)

REF_DESCRIPTION = (
    "Which run: 'latest', a run id or unique name prefix from list_runs, a log file or folder path under "
    "the allowed roots, or SOURCE:REF (e.g. jsonl:exp1). Append @STEP for the run as it was at that step."
)
RunArg = Annotated[str, Field(min_length=1, max_length=1024, description=REF_DESCRIPTION)]
Roots = Annotated[ListRootsResult | None, Resolve(offered_roots)]
Budget = Field(ge=50, le=20_000, description="Most tokens the text answer may use; whole rows are dropped to fit.")
KeyName = Annotated[str, Field(min_length=1, max_length=512)]

# Hints written for the CLI, said the MCP way; an unlisted hint is passed on as it is.
TOOL_HINTS = {
    "list keys with: runwise keys REF": "list them with list_keys",
    "list runs with: runwise list (or the list_runs tool)": "list runs with list_runs",
    "point --dir (or RUNWISE_DIR) at a folder with training logs": (
        "start the server with --root pointing at the folder that holds the training logs"
    ),
    "name fewer keys with -k": "name fewer keys",
    "loosen the --where condition": "loosen where",
    "pass --max or --min (direction='max' or 'min'), or set it in the metric schema": (
        "pass direction='max' or 'min', or set it in the metric schema"
    ),
}
QUERY_WINDOW = 60  # characters of a long query shown around the error position


async def answer(
    ctx: Context[ServerState],
    offered: ListRootsResult | None,
    action: str,
    work: Callable[[Runwise], CallToolResult],
    *,
    run: str | Sequence[str] | None = None,
    args: Hashable = (),
) -> CallToolResult:
    """Run `work` on a worker thread; every failure becomes a tool error of one line.

    With `run` (one REF or several), the answer is remembered for these `args` until a run's files change.
    """
    state = ctx.request_context.lifespan_context

    def job(app: Runwise) -> CallToolResult:
        if run is None:
            return work(app)
        refs = (run,) if isinstance(run, str) else tuple(run)
        key = (action, refs, args, tuple(run_identity(app, ref) for ref in refs))
        return state.results.get_or_compute(key, lambda: work(app))

    try:
        app = state.app_for(offered)
        return await anyio.to_thread.run_sync(job, app)
    except RunwiseError as exc:
        raise ToolError(error_text(exc)) from exc
    except Exception as exc:
        log.exception("%s failed", action)
        raise ToolError(unexpected(action, exc)) from exc


def error_text(exc: RunwiseError) -> str:
    """The error in one line, with a CLI-only hint said the MCP way; a query error keeps its position."""
    hint = TOOL_HINTS.get(exc.hint, exc.hint) if exc.hint else None
    message = exc.message
    if isinstance(exc, QueryError):
        message = message.replace(" in --sort: ", " in sort: ")  # the CLI flag is the tool's `sort` argument
    text = " ".join((f"{message} — {hint}" if hint else message).split())
    if isinstance(exc, QueryError) and exc.text:
        text += f" (at «»: {marked(exc.text, exc.position)})"
    return text


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


def unique(keys: Sequence[str]) -> list[str]:
    """Keys in the order given, each once: a repeated key would only repeat a row."""
    return list(dict.fromkeys(keys))


def reply(model: BaseModel, text: str) -> CallToolResult:
    """The structured output (the pydantic model) with its fitted text."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=model.model_dump(mode="json")
    )
