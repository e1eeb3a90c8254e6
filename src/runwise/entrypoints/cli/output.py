"""What a command handler gets: parsed flags, the wired app, where to write, and the output format."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import attrs

from runwise.domain.shared_repr import fields_repr

if TYPE_CHECKING:
    from pydantic import BaseModel

    from runwise.bootstrap import Runwise
    from runwise.config import Settings
    from runwise.ports.renderer import Renderer


@attrs.frozen
class Context:
    """What a command handler gets: parsed flags, the wired app and where to write.

    `app` may be a function that wires the app: it runs on first use, so commands that only need the settings
    (`cache`, `mcp`, which wires its own app over its roots) do not discover and wire sources for nothing.
    """

    __repr__ = fields_repr

    args: argparse.Namespace
    _app: Runwise | Callable[[], Runwise] = attrs.field(alias="app")
    out: TextIO
    _settings: Settings | None = attrs.field(default=None, alias="settings")
    _wired: dict[str, Runwise] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def app(self) -> Runwise:
        app = self._wired.get("app")
        if app is None:
            made = self._app
            app = self._wired["app"] = made() if callable(made) else made
        return app

    @property
    def settings(self) -> Settings:
        if self._settings is not None and "app" not in self._wired and callable(self._app):
            return self._settings
        return self.app.settings

    @property
    def format(self) -> str:
        return str(self.settings.format)

    @property
    def renderer(self) -> Renderer:
        return self.app.renderer(self.format)


def json_text(model: BaseModel) -> str:
    """The model as JSON; a file name that is not UTF-8 (lone surrogates) is written as \\u escapes
    instead of failing the whole answer."""
    from pydantic_core import PydanticSerializationError

    try:
        return model.model_dump_json(indent=2)
    except PydanticSerializationError:
        import json

        return json.dumps(model.model_dump(mode="python"), indent=2, ensure_ascii=True, default=str)
