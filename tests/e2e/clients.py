"""How e2e tests talk to Runwise: the CLI in-process, and MCP results read the same way over every transport."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from mcp import Client
from mcp_types import CallToolResult

from runwise.entrypoints.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_cli(*argv: str, root: Path = EXAMPLES) -> tuple[int, str]:
    """`runwise --dir ROOT ARGV...` in-process: (exit code, stdout)."""
    out = io.StringIO()
    code = main(["--dir", str(root), "--no-color", *argv], stdout=out)
    return code, out.getvalue()


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    return result.content[0].text  # type: ignore[union-attr]


async def call_ok(client: Client, tool: str, args: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    return result


async def call_error(client: Client, tool: str, args: dict[str, Any]) -> str:
    """The one-line error text of a failing call (never a traceback, never a CLI flag)."""
    result = await client.call_tool(tool, args)
    assert result.is_error
    message = text_of(result)
    assert "\n" not in message and "Traceback" not in message
    assert_no_cli_words(message)
    return message


def _cli_words() -> re.Pattern[str]:
    """A CLI flag, RUNWISE_DIR, or `runwise` followed by any command the CLI has (from its parser)."""
    import argparse

    from runwise.entrypoints.cli.main import build_parser

    parser = build_parser()[0]
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = "|".join(sorted(map(re.escape, action.choices), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])--[a-z][\w-]*|\brunwise (?:{commands})\b|(?<![\w-])-[kftgo] |RUNWISE_DIR")


CLI_WORDS = _cli_words()


def assert_no_cli_words(text: str) -> None:
    """An MCP answer speaks of tools and arguments: no CLI flag, no `runwise` command."""
    found = CLI_WORDS.findall(text)
    assert not found, (found, text)
