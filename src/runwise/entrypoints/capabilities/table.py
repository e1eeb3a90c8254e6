"""The declaration table: every capability, in the index's order (imports every declaring module).

The MCP server, the Python API and the interface-agreement tests read the whole table; the CLI reads
capabilities/index.py and imports only the declaration of the command it runs.
"""

from __future__ import annotations

from runwise.entrypoints.capabilities.declaration import Capability
from runwise.entrypoints.capabilities.index import ENTRIES

CAPABILITIES: tuple[Capability, ...] = tuple(entry.load() for entry in ENTRIES)
TOOLS = tuple(c for c in CAPABILITIES if c.tool is not None)  # the MCP tools and the API methods; the rest: CLI only
BY_NAME = {c.name: c for c in CAPABILITIES}
BY_TOOL = {c.tool_name: c for c in TOOLS}
