"""`runwise mcp`: serve the MCP tools over stdio (default) or streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from runwise.entrypoints.cli.command import Command

if TYPE_CHECKING:
    from runwise.entrypoints.cli.output import Context


def _arguments(p: argparse.ArgumentParser) -> None:
    from runwise.entrypoints.mcp.serve import add_arguments

    add_arguments(p)


def cmd_mcp(ctx: Context) -> int:
    """Serve until the client disconnects; stdout carries only protocol messages."""
    from runwise.entrypoints.mcp.serve import security_from_args, serve, server_settings, wiring

    settings, client_roots = server_settings(ctx.settings, ctx.args.roots or ())
    a = ctx.args
    security = security_from_args(a)
    return serve(
        wiring(settings), client_roots=client_roots, transport=a.transport, host=a.host, port=a.port, security=security
    )


COMMAND = Command(
    name="mcp",
    help="serve the MCP tools for assistants (stdio, or --transport http)",
    description="Serve Runwise's MCP tools. Reads only under the roots: --root, else RUNWISE_ROOTS, "
    "else the client's MCP roots, else --dir. See docs/mcp.md.",
    arguments=_arguments,
    run=cmd_mcp,
)
