"""The run report: one self-contained HTML page with charts, or the same report as markdown."""

from __future__ import annotations

from runwise.adapters.renderers.report.html import HtmlReportRenderer
from runwise.adapters.renderers.report.markdown import MarkdownReportRenderer

__all__ = ["HtmlReportRenderer", "MarkdownReportRenderer"]
