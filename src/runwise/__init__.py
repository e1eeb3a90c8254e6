"""Runwise: understand ML training runs in the fewest tokens.

The Python API (`runwise.summarize`, `runwise.load`, `runwise.list_runs`, ...) is imported on first
use, so `import runwise` stays cheap and runs nothing.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Session", "keys", "list_runs", "load", "stats", "summarize", "summary"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from runwise.entrypoints import api

        return getattr(api, name)
    raise AttributeError(f"module 'runwise' has no attribute {name!r}")
