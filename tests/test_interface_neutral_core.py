"""Below the entry points nothing spells a CLI flag or a `runwise` command: each interface words hints its own way.

Every string literal outside src/runwise/entrypoints/ that is not a docstring is checked: the domain, the
services, the ports, the adapters (their errors reach MCP answers as they are), the composition root and the
settings path (config.py, schema_file.py), whose errors reach the MCP server and the Python API too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "runwise"
CLI_SPELLING = re.compile(r"(?<![\w-])--[a-z][\w-]*|\brunwise [a-z]+|(?<![\w-])-[kftgo] ")

# (file, literal) -> why it is not a Runwise CLI spelling; anything else found is an offender
ALLOWED = {
    ("adapters/vcs/git.py", "--no-optional-locks"): "git's own flags, passed to git",
    ("adapters/vcs/git.py", "--is-inside-work-tree"): "git's own flags, passed to git",
    ("adapters/vcs/git.py", "--before="): "git's own flags, passed to git",
    ("adapters/vcs/git.py", "--format=%s"): "git's own flags, passed to git",
    ("adapters/vcs/git.py", "--abbrev-ref"): "git's own flags, passed to git",
    ("adapters/vcs/git.py", "--get"): "git's own flags, passed to git",
    ("adapters/sources/neptune/export.py", "point Runwise at the exporter's --data-path"): "the exporter's flag",
    ("adapters/cache/codec.py", "not a runwise cache entry"): "prose, not a command",
}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _below_the_entry_points() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "entrypoints" not in p.relative_to(SRC).parts)


def cli_spellings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docs = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docs
        and CLI_SPELLING.search(node.value)
    ]


def test_the_scan_covers_the_settings_path_and_the_adapters() -> None:
    scanned = {str(p.relative_to(SRC)) for p in _below_the_entry_points()}
    assert {"config.py", "schema_file.py", "bootstrap.py", "domain/hints.py"} <= scanned
    assert any(name.startswith("adapters/sources/") for name in scanned)


def test_the_scan_finds_a_cli_command_in_a_hint(tmp_path: Path) -> None:
    """The check that was missing: `ConfigError(..., "create one with: runwise init")` in config.py."""
    sample = tmp_path / "config.py"
    sample.write_text('raise ConfigError("no file", "check the path, or create one with: runwise init")\n')
    assert cli_spellings(sample) == [(1, "check the path, or create one with: runwise init")]


def test_no_cli_spelling_below_the_entry_points() -> None:
    offenders, seen = [], set()
    for path in _below_the_entry_points():
        name = str(path.relative_to(SRC))
        for line, text in cli_spellings(path):
            seen.add((name, text))
            if (name, text) not in ALLOWED:
                offenders.append(f"{name}:{line}: {text!r}")
    assert offenders == []
    assert set(ALLOWED) <= seen, "an allowed spelling is gone: drop it from ALLOWED"
