"""Structured results: the pydantic models of MCP structured output and CLI `--format json` (one and the same).

Named "structured" to keep "schema" for the metric schema (domain.schema) and its file format (schema_file).
"""
