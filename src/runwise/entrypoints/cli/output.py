"""What a command handler gets: parsed flags, the wired app, where to write, and the output format."""

from __future__ import annotations

import argparse
from typing import TextIO

import attrs

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
