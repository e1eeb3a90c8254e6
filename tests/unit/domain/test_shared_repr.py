"""Every attrs class shares `fields_repr` (attrs compiles no `__repr__` of its own), and its text is attrs' own."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs

import runwise
from runwise.domain.shared_repr import fields_repr

SOURCE = Path(runwise.__file__).parent


def _attrs_decorated(node: ast.ClassDef) -> ast.expr | None:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "attrs":
            return dec
    return None


def _own_repr(node: ast.ClassDef, dec: ast.expr) -> bool:
    if isinstance(dec, ast.Call) and any(k.arg == "repr" for k in dec.keywords):
        return True  # repr=False: the class chose object's
    for statement in node.body:
        if isinstance(statement, ast.FunctionDef) and statement.name == "__repr__":
            return True
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__repr__" for t in statement.targets
        ):
            return isinstance(statement.value, ast.Name) and statement.value.id == "fields_repr"
    return False


def test_every_attrs_class_uses_the_shared_repr() -> None:
    missing = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            dec = _attrs_decorated(node) if isinstance(node, ast.ClassDef) else None
            if isinstance(node, ast.ClassDef) and dec is not None and not _own_repr(node, dec):
                missing.append(f"{path.relative_to(SOURCE)}:{node.lineno} {node.name}")
    assert not missing, "add `__repr__ = fields_repr` (runwise.domain.shared_repr) to:\n" + "\n".join(missing)


def _pair() -> tuple[type, type]:
    """The same fields twice: once with attrs' generated __repr__, once with the shared one."""

    def body(shared: bool) -> type:
        @attrs.frozen
        class Sample:
            if shared:
                __repr__ = fields_repr

            name: str
            hidden: int = attrs.field(default=3, repr=False)
            shown: float = attrs.field(default=0.5, repr=lambda v: f"<{v}>")
            _private: tuple[int, ...] = attrs.field(default=(1, 2), alias="private")
            nested: object = None

        return Sample

    return body(False), body(True)


def test_the_text_is_attrs_own() -> None:
    generated, shared = _pair()
    assert generated.__repr__ is not fields_repr and shared.__repr__ is fields_repr
    for kwargs in ({"name": "a"}, {"name": "b'\n", "hidden": 9, "shown": 2.0, "private": (), "nested": [1, "x"]}):
        assert repr(shared(**kwargs)) == repr(generated(**kwargs))
