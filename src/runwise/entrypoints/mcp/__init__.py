"""The MCP server: Runwise's primary interface for assistants (see docs/mcp.md).

Nothing is imported here, so `runwise mcp` and `python -m runwise.entrypoints.mcp` pay for the SDK
only when they serve; import `runwise.entrypoints.mcp.server.build_server` to build one.
"""
