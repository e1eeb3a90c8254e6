"""The report as markdown, for PR comments, notebooks and assistants.

Charts are left out on purpose: GitHub strips inline SVG from comments and a data: image is not shown, so a
chart would arrive as noise. Each metric keeps its sparkline, and the HTML report has the charts.

The report is a list of prioritised sections, so the one fitting path can cut it to a token budget: each
run's headline first, then its anomalies and recommendations, its metrics, the lr analysis, and the config
last; long tables lose whole rows, with a note of how many.
"""

from __future__ import annotations

from runwise.adapters.renderers.report import content
from runwise.domain.budget import Section, render_sections
from runwise.domain.labels import KeyLabels
from runwise.domain.report import Report, RunReport


class MarkdownReportRenderer:
    """Report → markdown (no charts; sparklines in the metrics table).

    `charts_from` says how a reader gets the charts (the CLI: its command); without it the footer says only
    that the HTML report has them, so an assistant's answer names no command of an interface it cannot use.
    """

    format = "md"
    suffix = ".md"

    def __init__(self, charts_from: str | None = None) -> None:
        self.charts_from = charts_from

    def render(self, report: Report) -> str:
        return render_sections(self.sections(report)).rstrip() + "\n"

    def sections(self, report: Report) -> list[Section]:
        out = [Section("title", 0, (f"# Runwise report — {_text(report.title)}",), required=True)]
        several = len(report.runs) > 1
        for index, part in enumerate(report.runs):
            out += _run(part, index, several=several, labels=report.labels)
        version = f"Runwise {report.version} · " if report.version else ""
        where = f" (`{self.charts_from}`)" if self.charts_from else ""
        out.append(Section("footer", 9, ("", f"<sub>{version}charts are in the HTML report{where}.</sub>")))
        return out


def _text(value: str) -> str:
    """Text safe inside a markdown table cell or line."""
    return " ".join(value.split()).replace("|", "\\|")


def _run(part: RunReport, index: int, *, several: bool, labels: KeyLabels) -> list[Section]:
    name = f"run{index}"
    health = f"**{part.health}** · " if part.health else ""
    head = [""] + ([f"## {_text(content.label(part))}", ""] if several else [])
    head += [f"{health}{_text(content.meta(part))}", "", _text(labels.prose(part.summary.headline))]
    sections = [Section(f"{name}.headline", 0, tuple(head), required=index == 0)]
    rows = content.anomaly_rows(part, labels)
    if rows:
        sections.append(
            Section(
                f"{name}.anomalies",
                1,
                tuple(f"| {a.severity} | {a.kind} | `{a.metric}` | {a.steps} | {_text(a.message)} |" for a in rows),
                header=f"\n### Anomalies ({len(rows)})\n\n| severity | kind | metric | steps | what happened |\n|---|---|---|---:|---|",
                more=lambda n: f"| +{n} more anomalies | | | | |",
            )
        )
    else:
        sections.append(Section(f"{name}.anomalies", 1, ("", "### Anomalies (0)", "", "No anomalies found.")))
    recs = tuple(f"- {_text(labels.prose(r))}" for r in part.summary.recommendations) or ("Nothing to change.",)
    sections.append(Section(f"{name}.recommendations", 1, recs, header="\n### Recommendations\n"))
    metrics = tuple(
        f"| `{r.key}` | {r.last} | {r.best} | {r.trend} | {r.count} | {r.nonfinite} | {r.sparkline} |"
        for r in (content.metric_row(d, labels) for d in part.summary.metrics)
    )
    sections.append(
        Section(
            f"{name}.metrics",
            2,
            metrics,
            header="\n### Key metrics\n\n| metric | last | best | trend | points | NaN/Inf | shape |\n|---|---:|---:|---|---:|---:|---|",
            more=lambda n: f"| +{n} more metrics | | | | | | |",
        )
    )
    lr = content.lr_text(part.lr, labels)
    lr_lines = (_text(lr.text), *(f"- {_text(c)}" for c in lr.changes)) if lr else ("No learning-rate series found.",)
    sections.append(Section(f"{name}.lr", 3, lr_lines, header="\n### Learning rate\n"))
    if part.summary.warnings:
        warnings = tuple(f"- {_text(labels.prose(w))}" for w in part.summary.warnings)
        sections.append(Section(f"{name}.warnings", 3, warnings, header="\n### Read warnings\n"))
    config = content.config_rows(part.config)
    if config:
        items = (*(f"| `{k}` | `{_text(v)}` |" for k, v in config), "", "</details>")
        sections.append(
            Section(
                f"{name}.config",
                5,
                items,
                header=f"\n### Config\n\n<details><summary>{len(config)} values</summary>\n\n| key | value |\n|---|---|",
                min_items=len(items),  # whole or not at all: a cut table would leave <details> open
            )
        )
    else:
        sections.append(Section(f"{name}.config", 5, ("", "### Config", "", "No config logged.")))
    return sections
