"""The report as markdown, for PR comments and notebooks.

Charts are left out on purpose: GitHub strips inline SVG from comments and a data: image is not shown, so a
chart would arrive as noise. Each metric keeps its sparkline, and the HTML report has the charts.
"""

from __future__ import annotations

from runwise.adapters.renderers.report import content
from runwise.domain.report import Report, RunReport


class MarkdownReportRenderer:
    """Report → markdown (no charts; sparklines in the metrics table)."""

    format = "md"
    suffix = ".md"

    def render(self, report: Report) -> str:
        lines = [f"# Runwise report — {_text(report.title)}", ""]
        for part in report.runs:
            lines += _run(part, several=len(report.runs) > 1)
        lines.append(f"<sub>Runwise {report.version} · charts are in the HTML report (`runwise report REF`).</sub>")
        return "\n".join(lines).rstrip() + "\n"


def _text(value: str) -> str:
    """Text safe inside a markdown table cell or line."""
    return " ".join(value.split()).replace("|", "\\|")


def _run(part: RunReport, *, several: bool) -> list[str]:
    health = f"**{part.health}** · " if part.health else ""
    out = [f"## {_text(content.label(part))}" if several else "", f"{health}{_text(content.meta(part))}", ""]
    out += [_text(part.summary.headline), ""]
    out += [
        "### Key metrics",
        "",
        "| metric | last | best | trend | points | NaN/Inf | shape |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for d in part.summary.metrics:
        r = content.metric_row(d)
        out.append(f"| `{r.key}` | {r.last} | {r.best} | {r.trend} | {r.count} | {r.nonfinite} | {r.sparkline} |")
    out += ["", f"### Anomalies ({len(part.summary.anomalies)})", ""]
    rows = content.anomaly_rows(part)
    if rows:
        out += ["| severity | kind | metric | steps | what happened |", "|---|---|---|---:|---|"]
        out += [f"| {a.severity} | {a.kind} | `{a.metric}` | {a.steps} | {_text(a.message)} |" for a in rows]
    else:
        out.append("No anomalies found.")
    lr = content.lr_text(part.lr)
    out += ["", "### Learning rate", "", _text(lr.text) if lr else "No learning-rate series found."]
    if lr and lr.changes:
        out += [f"- {_text(c)}" for c in lr.changes]
    out += ["", "### Recommendations", ""]
    out += [f"- {_text(r)}" for r in part.summary.recommendations] or ["Nothing to change."]
    if part.summary.warnings:
        out += ["", "### Read warnings", ""] + [f"- {_text(w)}" for w in part.summary.warnings]
    config = content.config_rows(part.config)
    out += ["", "### Config", ""]
    if config:
        out += ["<details><summary>" + f"{len(config)} values</summary>", "", "| key | value |", "|---|---|"]
        out += [f"| `{k}` | `{_text(v)}` |" for k, v in config] + ["", "</details>"]
    else:
        out.append("No config logged.")
    out.append("")
    return [line for line in out if line is not None]
