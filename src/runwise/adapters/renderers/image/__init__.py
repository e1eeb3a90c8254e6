"""Charts as PNG images, for assistants that can look at a picture."""

from __future__ import annotations

from runwise.adapters.renderers.image.png import render_png

__all__ = ["render_png"]
