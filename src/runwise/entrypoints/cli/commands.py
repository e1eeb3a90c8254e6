"""The CLI's commands for the declared capabilities, registered from the index (capabilities/index.py).

Only the command being run gets its full parser and handler (cli/capability_command.py: its declaration, pydantic,
its use case); every other command is one line of `runwise --help` and a name argparse knows. A cold
`runwise --help` thus imports no declaration at all, and `runwise run` only the one declaring `run`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from runwise.entrypoints.capabilities.index import ENTRIES, Entry, invoked

if TYPE_CHECKING:
    from runwise.entrypoints.capabilities.declaration import Capability
    from runwise.entrypoints.cli.output import Context

Handler = Callable[["Context"], int]


def register(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: argparse.ArgumentParser,
    full: Collection[str] | None = None,
) -> dict[str, Handler]:
    """A subcommand (and its aliases) per capability; `github comment` is the command `comment` of a group.

    `full`: the command words to register with their flags and handlers (None: all of them); the others are
    named with their help line only.
    """
    handlers: dict[str, Handler] = {}
    groups: dict[str, tuple[argparse._SubParsersAction, dict[str, Handler]] | None] = {}  # type: ignore[type-arg]
    for entry in ENTRIES:
        *group, command = entry.command.split()
        if full is not None and entry.word not in full and not set(entry.aliases) & set(full):
            if not group:
                sub.add_parser(command, help=entry.help)
            elif group[0] not in groups:
                groups[group[0]] = None
                sub.add_parser(group[0], help=f"{command}: {entry.help}")
            for alias, preset in entry.aliases.items():
                sub.add_parser(alias, help=f"{entry.help} ({_preset_text(preset)})")
            continue
        from runwise.entrypoints.cli import capability_command  # the declaration and its imports: only when run

        capability = entry.load()
        into, table = sub, handlers
        if group:
            made = groups.get(group[0])
            if made is None:
                made = groups[group[0]] = _group(sub, common, group[0], f"{command}: {entry.help}", handlers)
            into, table = made
        p = into.add_parser(command, parents=[common], help=entry.help)
        capability_command.add_params(p, capability)
        table[command] = capability_command.handler(capability)
        for alias, preset in capability.cli_aliases.items():
            sub.add_parser(alias, parents=[common], help=f"{entry.help} ({_preset_text(preset)})")
            handlers[alias] = capability_command.handler(capability, preset)
    return handlers


def _group(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    common: argparse.ArgumentParser,
    name: str,
    help: str,
    handlers: dict[str, Handler],
) -> tuple[argparse._SubParsersAction, dict[str, Handler]]:  # type: ignore[type-arg]
    """A command whose own commands are capabilities (`runwise github comment`): it runs the one named."""
    parser = sub.add_parser(name, parents=[common], help=help)
    inner = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)
    table: dict[str, Handler] = {}
    handlers[name] = lambda ctx: table[getattr(ctx.args, f"{name}_command")](ctx)
    return inner, table


def _preset_text(preset: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in preset.items())


def declared(command: str) -> Capability | None:
    """The capability a command word runs (its first, for a group), importing only its declaration."""
    found: list[Entry] = invoked(command)
    return found[0].load() if found else None


def answer_cacheable(command: str) -> bool:
    """Whether the CLI's answer cache may keep the command's answer: a read-only capability (one with an MCP
    tool, and all tools are read-only) answered through the generic path, so that its whole effect is its text
    and exit code. Not init, plot, report or watch (they write files or draw for a terminal), nor anything
    that exists for a side effect (sending a message)."""
    for entry in invoked(command):
        if command == entry.command or command in entry.aliases:
            capability = entry.load()
            side_effect = capability.cli_only is not None or capability.tool is None
            return not side_effect and capability.cli_side is None and capability.media is None
    return False
