"""Entry points: MCP server, CLI and Python API."""
