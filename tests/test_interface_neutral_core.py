"""The core never spells a CLI flag or a `runwise` command: each interface words hints its own way.

Every string literal in domain/ and services/ that is not a docstring is checked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "runwise"
CLI_SPELLING = re.compile(r"(?<![\w-])--[a-z][\w-]*|\brunwise [a-z]+|(?<![\w-])-[kftgo] ")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_no_cli_spelling_in_domain_or_services() -> None:
    offenders = []
    for layer in ("domain", "services"):
        for path in sorted((SRC / layer).rglob("*.py")):
            tree = ast.parse(path.read_text())
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                is_text = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                if is_text and CLI_SPELLING.search(node.value):  # type: ignore[attr-defined]
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value!r}")  # type: ignore[attr-defined]
    assert offenders == []
