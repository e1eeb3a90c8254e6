"""Text and markdown renderers: the same facts, as aligned columns or as markdown tables.

Both live in this package because they differ only in how a table and a title are drawn.
"""

from __future__ import annotations

from runwise.adapters.renderers.tabular.analysis import AnalysisSections
from runwise.adapters.renderers.tabular.base import Tabular, flatten_config
from runwise.adapters.renderers.tabular.compare import CompareSections
from runwise.adapters.renderers.tabular.watch import WatchSections

__all__ = ["MarkdownRenderer", "TextRenderer", "flatten_config"]


class TextRenderer(AnalysisSections, CompareSections, WatchSections, Tabular):
    """Aligned columns for terminals; colour only when asked and on a terminal."""

    format = "text"
    markdown = False


class MarkdownRenderer(AnalysisSections, CompareSections, WatchSections, Tabular):
    """Markdown tables and bold titles, for assistants and documents."""

    format = "md"
    markdown = True
