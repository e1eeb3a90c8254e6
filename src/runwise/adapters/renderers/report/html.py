"""The report as one self-contained HTML file: inline CSS, inline SVG charts and a small inline script.

It makes no network request when opened (a Content-Security-Policy of `default-src 'none'` says so to the
browser too): no CDN, no web font, no image URL. Charts are SVG drawn here, so they show without script; the
script only adds the hover read-out (step and value) from a JSON block of the same downsampled points.
Light and dark follow `prefers-color-scheme`. jinja2 (the `html` extra) escapes every run name, key and
config value.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from typing import Any

from runwise.adapters.renderers.report import content
from runwise.adapters.renderers.report.svg import PALETTE_SIZE, chart_svg
from runwise.domain.chart import Chart
from runwise.domain.errors import MissingExtra
from runwise.domain.labels import KeyLabels
from runwise.domain.report import Report, RunReport

_COMMIT_URL = re.compile(r"(https://github\.com/[\w.-]+/[\w.-]+/commit/[0-9a-f]+)")

CHART_WIDTH, CHART_HEIGHT = 960, 280


def _asset(name: str) -> str:
    return resources.files("runwise.adapters.renderers.report").joinpath("assets", name).read_text(encoding="utf-8")


class HtmlReportRenderer:
    """Report → one HTML document."""

    format = "html"
    suffix = ".html"

    def render(self, report: Report) -> str:
        try:
            import jinja2
            from markupsafe import Markup
        except ImportError as exc:
            raise MissingExtra("jinja2", "html", "The HTML report") from exc
        env = jinja2.Environment(
            autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined
        )
        template = env.from_string(_asset("report.html.j2"))
        return template.render(
            title=report.title,
            version=report.version,
            css=Markup(_asset("report.css")),
            js=Markup(_asset("report.js")),
            runs=[_run(part, report.labels, Markup) for part in report.runs],
            charts=[_chart(chart, Markup) for chart in report.charts],
        )


def _run(part: RunReport, labels: KeyLabels, markup: Any) -> dict[str, Any]:
    return {
        "label": content.label(part),
        "meta": _linked(content.meta(part), markup),
        "health": part.health,
        "headline": labels.prose(part.summary.headline),
        "metrics": [content.metric_row(d, labels) for d in part.summary.metrics],
        "anomalies": content.anomaly_rows(part, labels),
        "lr": content.lr_text(part.lr, labels),
        "recommendations": [labels.prose(r) for r in part.summary.recommendations],
        "warnings": [labels.prose(w) for w in part.summary.warnings],
        "config": content.config_rows(part.config),
    }


def _linked(text: str, markup: Any) -> Any:
    """The meta line, escaped, with the commit's GitHub address as a link a reader can follow (it loads nothing
    by itself: the page's policy still allows no request)."""
    parts = _COMMIT_URL.split(text)  # text, url, text, ...
    return markup("").join(
        markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(part) if i % 2 else markup.escape(part)
        for i, part in enumerate(parts)
    )


def _chart(chart: Chart, markup: Any) -> dict[str, Any]:
    legend = [{"index": i % PALETTE_SIZE, "label": line.label} for i, line in enumerate(chart.lines)]
    return {
        "key": chart.key,
        "title": chart.title,
        "log": chart.log_y,
        "legend": legend if len(chart.lines) > 1 else [],
        "svg": markup(chart_svg(chart, width=CHART_WIDTH, height=CHART_HEIGHT)),
        "data": markup(_points_json(chart)),
    }


def _points_json(chart: Chart) -> str:
    """The drawn points for the hover read-out: steps as integers, values to 6 significant digits, NaN/Inf null."""
    lines = []
    for line in chart.lines:
        values = [float(f"{v:.6g}") if math.isfinite(v) else None for v in line.values.tolist()]
        lines.append({"label": line.label, "s": line.steps.tolist(), "v": values})
    text = json.dumps({"key": chart.key, "lines": lines}, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")  # no "</script>" can end the block early
