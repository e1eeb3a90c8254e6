"""How a command's result reaches stdout: rendered text, or the pydantic model as JSON."""

from __future__ import annotations

import argparse
from typing import TextIO

import attrs
from pydantic import BaseModel

from runwise.bootstrap import Runwise
from runwise.ports.renderer import Renderer


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

    def emit(self, model: BaseModel, text: str | None) -> None:
        """Print JSON for --format json, else the rendering."""
        if self.format == "json":
            self.out.write(model.model_dump_json(indent=2) + "\n")
        elif text is not None:
            self.out.write(text.rstrip("\n") + "\n")
