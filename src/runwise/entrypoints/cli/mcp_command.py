"""`runwise mcp`: serve the MCP tools over stdio (default) or streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from runwise.entrypoints.cli.output import Context

Handler = Callable[[Context], int]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:  # type: ignore[type-arg]
    from runwise.entrypoints.mcp.serve import add_arguments

    p = sub.add_parser(
        "mcp",
        parents=[common],
        help="serve the MCP tools for assistants (stdio, or --transport http)",
        description="Serve Runwise's MCP tools. Reads only under the roots: --root, else RUNWISE_ROOTS, "
        "else the client's MCP roots, else --dir. See docs/mcp.md.",
    )
    add_arguments(p)
    return {"mcp": cmd_mcp}


def cmd_mcp(ctx: Context) -> int:
    """Serve until the client disconnects; stdout carries only protocol messages."""
    from runwise.entrypoints.mcp.serve import security_from_args, serve, server_app

    app, client_roots = server_app(ctx.app.settings, ctx.args.roots or ())
    a = ctx.args
    security = security_from_args(a)
    return serve(app, client_roots=client_roots, transport=a.transport, host=a.host, port=a.port, security=security)
