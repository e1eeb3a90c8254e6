"""Serving: pick the roots, wire the app, run the server over stdio or streamable HTTP.

Shared by `runwise mcp` and `python -m runwise.entrypoints.mcp`. The MCP SDK is imported only once
serving starts, so the rest of the CLI does not pay for it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runwise.config import Settings
from runwise.domain.errors import ConfigError

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise
    from runwise.entrypoints.mcp.http_security import HttpSecurity

log = logging.getLogger(__name__)
TRANSPORTS = ("stdio", "http")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `runwise mcp`."""
    parser.add_argument("--transport", choices=TRANSPORTS, default="stdio", help="stdio (default) or streamable HTTP")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"HTTP address to bind (default {DEFAULT_HOST}; others expose your logs)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--root",
        dest="roots",
        action="append",
        type=Path,
        default=None,
        metavar="PATH",
        help="a folder the server may read (repeatable; default: RUNWISE_ROOTS, else the client's roots, else --dir)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="HTTP: clients must send this bearer token (default: RUNWISE_MCP_TOKEN); required off loopback",
    )
    parser.add_argument(
        "--allow-host",
        dest="allow_hosts",
        action="append",
        default=None,
        metavar="NAME",
        help="HTTP: a further Host header to accept, e.g. runs.example.com or 10.0.0.5:8765 (repeatable)",
    )
    parser.add_argument(
        "--allow-origin",
        dest="allow_origins",
        action="append",
        default=None,
        metavar="URL",
        help="HTTP: a further browser Origin to accept, e.g. https://runs.example.com (repeatable)",
    )


def server_settings(settings: Settings, roots: Sequence[Path] = ()) -> tuple[Settings, bool]:
    """The settings to serve with (the roots resolved) and whether the client's roots may replace its roots.

    `--root` flags win over RUNWISE_ROOTS and the config file; with none of them, the client's
    roots apply, and without those the discovery folder is the one root. What would fail every call (a
    missing root, a bad metric schema) is an error now, before serving.
    """
    configured = tuple(roots) or tuple(settings.roots)
    for root in configured:
        if not os.path.exists(root):
            raise ConfigError(f"root {root} does not exist", "pass --root with an existing folder of training logs")
    chosen = configured or (settings.dir,)
    resolved = tuple(Path(os.path.realpath(os.path.expanduser(r))) for r in chosen)
    served = settings.model_copy(update={"roots": resolved})
    served.schema()
    return served, not configured


def server_app(settings: Settings, roots: Sequence[Path] = ()) -> tuple[Runwise, bool]:
    """The app to serve, wired now, and whether the client's roots may replace its roots (server_settings)."""
    served, client_roots = server_settings(settings, roots)
    return wiring(served)(), client_roots


def wiring(settings: Settings) -> Callable[[], Runwise]:
    """The function wiring the app over `settings`: `serve` calls it when a tool first reads runs."""

    def wire() -> Runwise:
        from runwise.bootstrap import bootstrap

        return bootstrap(settings)

    return wire


def serve(
    app: Runwise | Callable[[], Runwise],
    *,
    client_roots: bool,
    transport: str = "stdio",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    security: HttpSecurity | None = None,
) -> int:
    """Serve until the client disconnects (stdio) or the process is interrupted (HTTP). `app` may be the function
    wiring it (`wiring`), called on the first tool call: `initialize` is answered without it."""
    import anyio

    from runwise.entrypoints.mcp.server import build_server

    if transport != "stdio" and security is None:
        from runwise.entrypoints.mcp.http_security import http_security  # hmac, sockets: HTTP only

        security = http_security(host)
    options = security.server_options(host, port) if security is not None and transport != "stdio" else {}
    server = build_server(app, client_roots=client_roots, **options)
    log.info("serving over %s; client roots %s", transport, "accepted" if client_roots else "ignored")
    if transport == "stdio":
        server.run("stdio")
        return 0
    assert security is not None
    server.ready()  # many clients over HTTP: every tool's schema known before the first request
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_serve_http, server, host, port, security)
    return 0


async def _serve_http(server: object, host: str, port: int, security: HttpSecurity) -> None:
    import uvicorn

    starlette_app = http_app(server, host, security)
    # log_config=None: uvicorn's default config prints access logs to stdout; ours route everything to stderr
    config = uvicorn.Config(starlette_app, host=host, port=port, log_config=None, log_level="warning")
    sys.stderr.write(f"runwise: serving MCP (streamable HTTP) at http://{_netloc(host, port)}/mcp\n")
    await uvicorn.Server(config).serve()


def http_app(server: object, host: str, security: HttpSecurity) -> Any:
    """The Starlette app: the SDK's streamable HTTP app with its Host/Origin checks on for every address."""
    return server.streamable_http_app(  # type: ignore[attr-defined]
        host=host, transport_security=security.transport_security()
    )


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m runwise.entrypoints.mcp [--dir DIR] [--root PATH ...] [--transport ...]`."""
    from runwise.domain.errors import RunwiseError
    from runwise.entrypoints.logging import configure_logging

    parser = argparse.ArgumentParser(prog="python -m runwise.entrypoints.mcp", description="Runwise MCP server")
    parser.add_argument("--dir", type=Path, default=None, help="discovery folder when no roots are given")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    add_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging("DEBUG" if args.verbose else "WARNING", structured=bool(args.verbose))
    try:
        settings, client_roots = server_settings(Settings.load(dir=args.dir), args.roots or ())
        security = security_from_args(args)
    except RunwiseError as exc:
        sys.stderr.write(f"runwise: error: {exc}\n")
        return 2
    return serve(
        wiring(settings),
        client_roots=client_roots,
        transport=args.transport,
        host=args.host,
        port=args.port,
        security=security,
    )


def security_from_args(args: argparse.Namespace) -> HttpSecurity | None:
    """The HTTP security the flags ask for (None for stdio); raises ConfigError off loopback without a token."""
    if args.transport == "stdio":
        return None
    from runwise.entrypoints.mcp.http_security import http_security

    return http_security(
        args.host,
        token_file=args.token_file,
        allow_hosts=args.allow_hosts or (),
        allow_origins=args.allow_origins or (),
    )
