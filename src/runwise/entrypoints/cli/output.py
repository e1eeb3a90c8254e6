"""How a command's result reaches stdout: rendered text, or the pydantic model as JSON."""

from __future__ import annotations

import argparse
from collections.abc import Callable
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

    def emit(self, model: Callable[[], BaseModel], text: Callable[[], str] | str | None) -> None:
        """Print the wire model as JSON for --format json, else the rendering (each built only when needed)."""
        if self.format == "json":
            self.out.write(model().model_dump_json(indent=2) + "\n")
            return
        if callable(text):
            text = text()
        if text is not None:
            self.out.write(text.rstrip("\n") + "\n")
