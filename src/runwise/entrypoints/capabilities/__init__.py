"""Every capability, declared once; the MCP tools, the CLI commands and the Python API are derived from this table.

How to add a read-only capability (e.g. `plot`):
1. the use case in services/ (or the domain), returning a domain result;
2. the renderer's sections for that result (adapters/renderers/..., and the Renderer port);
3. its declaration in one of this package's modules: a `Params` model (names, defaults, bounds, descriptions;
   `Cli(...)` only where the CLI spells a parameter differently), the structured result model (entrypoints/structured/),
   `use`, `sections`, `structured` (cut to what the fitted text shows) and its help texts,
   and its entry in index.py (where it is declared, its command and one-line help: the table follows);
4. tests: the interface-agreement test walks this table by itself; add the capability's own
   behaviour tests (and a call in tests/e2e/calls.py, which the three-transport test runs).
Nothing else: `runwise <name>`, the MCP tool, `runwise.api.Session.<name>` and the result cache follow.

A capability with a side effect a person starts (posting to Slack or GitHub) is declared with `cli_only` (why)
instead of `tool`: it is a CLI command only, with no MCP tool and no API method.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runwise.entrypoints.capabilities.declaration import Capability, Params
    from runwise.entrypoints.capabilities.table import BY_NAME, BY_TOOL, CAPABILITIES, TOOLS

# Served on first use (PEP 562): the table imports every declaration (pydantic, numpy, the detectors), which a
# CLI command never needs whole; capabilities/index.py says where each one is declared.
_LAZY = {
    "BY_NAME": "table",
    "BY_TOOL": "table",
    "CAPABILITIES": "table",
    "TOOLS": "table",
    "Capability": "declaration",
    "Params": "declaration",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = ["BY_NAME", "BY_TOOL", "CAPABILITIES", "TOOLS", "Capability", "Params"]
