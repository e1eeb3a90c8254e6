"""What the MCP server keeps between calls: the wired app, and one app per set of roots a client offers.

Roots decide what the server may read. Precedence, first that applies:
1. `--root PATH` flags; 2. `RUNWISE_ROOTS`; 3. `roots` in runwise.toml / [tool.runwise];
4. the MCP roots the client offers (file:// URIs, asked for on each tool call);
5. the discovery folder (`--dir`, `RUNWISE_DIR`, or the current folder).
Configured roots (1–3) always win: a client cannot widen what the operator allowed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import structlog
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import ListRoots
from mcp_types import ListRootsResult

from runwise.bootstrap import Runwise, bootstrap

log = structlog.get_logger(__name__)
MAX_ROOT_SETS = 8  # distinct client root sets kept wired; each holds its own run cache


class ServerState:
    """The lifespan context every tool receives."""

    def __init__(self, app: Runwise, *, client_roots: bool) -> None:
        self.app = app
        self.accepts_client_roots = client_roots
        self._apps: OrderedDict[tuple[str, ...], Runwise] = OrderedDict()
        self._lock = threading.Lock()

    def app_for(self, offered: ListRootsResult | None) -> Runwise:
        """The app reading under the client's roots when they apply, else the configured one."""
        roots = file_roots(offered) if self.accepts_client_roots else ()
        if not roots:
            return self.app
        with self._lock:
            app = self._apps.get(roots)
            if app is None:
                settings = self.app.settings.model_copy(update={"roots": tuple(Path(r) for r in roots)})
                app = bootstrap(settings, renderers=self.app.renderers, tokens=self.app.tokens)
                log.info("using client roots", roots=list(roots))
                self._apps[roots] = app
                while len(self._apps) > MAX_ROOT_SETS:
                    self._apps.popitem(last=False)
            else:
                self._apps.move_to_end(roots)
            return app


def file_roots(offered: ListRootsResult | None) -> tuple[str, ...]:
    """Existing local folders among the client's roots; other URI schemes name nothing we can read."""
    if offered is None:
        return ()
    found: list[str] = []
    for root in offered.roots:
        parsed = urlparse(str(root.uri))
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            continue
        path = os.path.realpath(url2pathname(unquote(parsed.path)))
        if os.path.isdir(path) and path not in found:
            found.append(path)
    return tuple(sorted(found))


async def offered_roots(ctx: Context[ServerState]) -> ListRoots | None:
    """Resolver: ask for the client's roots only when it has some and no roots were configured."""
    state = ctx.request_context.lifespan_context
    if not state.accepts_client_roots:
        return None
    capabilities = ctx.client_capabilities
    return ListRoots() if capabilities is not None and capabilities.roots is not None else None
