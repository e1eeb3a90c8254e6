"""Logging to stderr only: stdout is the MCP wire and the CLI's output."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO


def configure_logging(
    level: str = "WARNING", *, stream: TextIO | None = None, json: bool | None = None, structured: bool = True
) -> None:
    """Route structlog and stdlib logging (mcp, httpx, uvicorn) to stderr. Call once, from an entry point.

    Library code logs through stdlib `logging`; structlog renders the entry points' own events.
    `structured=False` (the CLI without -v) sets up stdlib logging only and skips importing
    structlog, which costs ~50 ms of every short command's start-up.
    """
    stream = stream or sys.stderr
    logging.basicConfig(stream=stream, level=level.upper(), force=True)
    if not structured:
        return
    import structlog

    as_json = (not stream.isatty()) if json is None else json
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks if as_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.WARNING)),
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
