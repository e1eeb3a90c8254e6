"""A CLI command that is not a declared capability (serving MCP, the parsed-run cache): its words and handler.

Capabilities come from the declaration table (entrypoints/capabilities); these few commands are about Runwise
itself rather than about runs, so they have no MCP tool or API method and are declared here instead.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from runwise.entrypoints.cli.output import Context

Handler = Callable[["Context"], int]


class Command(NamedTuple):  # not attrs: `runwise --help` lists these commands without importing attrs (~10 ms)
    """One subcommand: `help` for `runwise --help`, `description` for its own --help, its flags and its handler."""

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler

    def register(
        self,
        sub: argparse._SubParsersAction,  # type: ignore[type-arg]
        common: argparse.ArgumentParser,
        *,
        full: bool = True,
    ) -> dict[str, Handler]:
        """Its parser and handler; with `full=False` (another command is being run) its help line only, since its
        flags may import what it serves with (`runwise mcp`'s flags come from the MCP server's module)."""
        if not full:
            sub.add_parser(self.name, help=self.help)
            return {}
        parser = sub.add_parser(self.name, parents=[common], help=self.help, description=self.description)
        self.arguments(parser)
        return {self.name: self.run}
