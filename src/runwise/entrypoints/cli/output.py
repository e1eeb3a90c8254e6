"""What a command handler gets: parsed flags, the wired app, where to write, and the output format."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

import attrs

from runwise.bootstrap import Runwise
from runwise.ports.renderer import Renderer

if TYPE_CHECKING:
    from pydantic import BaseModel


@attrs.frozen
class Context:
    """What a command handler gets: parsed flags, the wired app and where to write."""

    args: argparse.Namespace
    app: Runwise
    out: TextIO

    @property
    def format(self) -> str:
        return str(self.app.settings.format)

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
