"""What the MCP server keeps between calls: the wired app, and one app per set of roots a client offers.

Roots decide what the server may read. Precedence, first that applies:
1. `--root PATH` flags; 2. `RUNWISE_ROOTS`; 3. `roots` in runwise.toml / [tool.runwise];
4. the MCP roots the client offers (file:// URIs, asked for on each tool call);
5. the discovery folder (`--dir`, `RUNWISE_DIR`, or the current folder).
Configured roots (1–3) always win: a client cannot widen what the operator allowed.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import ListRoots
from mcp_types import ListRootsResult

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

log = logging.getLogger(__name__)
MAX_ROOT_SETS = 8  # distinct client root sets kept wired; each holds its own run cache
MAX_RESULTS = 128
T = TypeVar("T")


class ServerState:
    """The lifespan context every tool receives."""

    def __init__(self, app: Runwise | Callable[[], Runwise], *, client_roots: bool) -> None:
        self._app: Runwise | None = None
        self._wire = app if callable(app) else None
        self._wiring = threading.Lock()
        if not callable(app):
            self._use(app)
        self.accepts_client_roots = client_roots
        self._apps: OrderedDict[tuple[str, ...], Runwise] = OrderedDict()
        self._lock = threading.Lock()
        self.results = ResultMemo()

    @property
    def app(self) -> Runwise:
        """The configured app, wired on first use (a server answers `initialize` before reading any run)."""
        if self._app is None:
            with self._wiring:
                if self._app is None:
                    assert self._wire is not None
                    self._use(self._wire())
        assert self._app is not None
        return self._app

    def _use(self, app: Runwise) -> None:
        cache_discovery(app)
        self._app = app
        log.info("reading under %s", ", ".join(str(r) for r in app.settings.roots) or app.settings.dir)

    def app_for(self, offered: ListRootsResult | None) -> Runwise:
        """The app reading under the client's roots when they apply, else the configured one."""
        roots = file_roots(offered) if self.accepts_client_roots else ()
        if not roots:
            return self.app
        with self._lock:
            app = self._apps.get(roots)
            if app is None:
                from runwise.bootstrap import bootstrap

                settings = self.app.settings.model_copy(update={"roots": tuple(Path(r) for r in roots)})
                app = bootstrap(settings, renderers=self.app.renderers, tokens=self.app.tokens)
                cache_discovery(app)
                log.info("using the client's roots: %s", ", ".join(roots))
                self._apps[roots] = app
                while len(self._apps) > MAX_ROOT_SETS:
                    self._apps.popitem(last=False)
            else:
                self._apps.move_to_end(roots)
            return app


class ResultMemo:
    """Recent answers keyed by the identity of the run files behind them.

    The run cache spares re-parsing; this spares re-analysing, so a repeated call on a 100k-step run
    costs a directory scan and a stat, not a pass over every point. A run that grows changes its
    file identity, and so its key.
    """

    def __init__(self, capacity: int = MAX_RESULTS) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value


def run_identity(app: Runwise, ref: str) -> Hashable:
    """What a REF names right now: the run, its state and the identity (paths, sizes, mtimes) of its files."""
    source, info = app.catalog.resolve(ref)
    return (id(app.catalog), source.name, id(source), info.id, info.state, info.updated_at, source.fingerprint(info.id))


def cache_discovery(app: Runwise) -> None:
    """Reuse the run listing between calls while nothing under the roots changed (one scandir per folder).

    Each tool call re-discovered every run under the roots (~2 s a call with 180 runs).
    """
    from runwise.adapters.fs import discovery_stamp

    roots = [str(r) for r in app.settings.roots] or [str(app.settings.dir)]
    app.catalog.discovery_stamp = lambda: discovery_stamp(roots)


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
