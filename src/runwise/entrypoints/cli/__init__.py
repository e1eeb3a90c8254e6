"""The `runwise` command line."""

from runwise.entrypoints.cli.main import main

__all__ = ["main"]
