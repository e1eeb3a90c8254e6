"""`python -m runwise.entrypoints.mcp`: the MCP server without the rest of the CLI."""

import sys

from runwise.entrypoints.mcp.serve import main

if __name__ == "__main__":
    sys.exit(main())
