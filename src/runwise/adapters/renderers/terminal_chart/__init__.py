"""Charts drawn with text characters, for `runwise plot` in a terminal."""

from __future__ import annotations

from runwise.adapters.renderers.terminal_chart.uniplot_chart import render_terminal

__all__ = ["render_terminal"]
