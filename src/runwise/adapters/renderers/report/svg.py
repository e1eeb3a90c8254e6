"""A chart as inline SVG: axes, ticks, one path per run, shaded anomaly episodes and where a run broke.

Colours are CSS classes (`c0`…`c7`, `ep-critical`…) so the page's stylesheet decides them for light and dark
themes; `standalone=True` adds a <style> with light colours for use outside the report (e.g. rasterising).
"""

from __future__ import annotations

from html import escape

import numpy as np
from numpy.typing import NDArray

from runwise.domain.chart import Chart, ChartLine, ticks
from runwise.domain.numbers import format_number, format_step

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 14, 12, 30
PALETTE_SIZE = 8

STANDALONE_STYLE = """
.bg{fill:#fff}.grid{stroke:#e5e7eb;stroke-width:1}.axis{stroke:#9ca3af}
text{font:11px sans-serif;fill:#4b5563}.line{fill:none;stroke-width:1.5}
.c0{stroke:#2563eb}.c1{stroke:#ea580c}.c2{stroke:#16a34a}.c3{stroke:#9333ea}
.c4{stroke:#0891b2}.c5{stroke:#db2777}.c6{stroke:#65a30d}.c7{stroke:#78716c}
.ep{opacity:.18}.ep-critical{fill:#dc2626}.ep-warning{fill:#f59e0b}.ep-info{fill:#3b82f6}
.broke{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:4 3}.broke-label{fill:#dc2626}
.nan{fill:#dc2626}.tail{fill:#fef2f2}.mark-critical{fill:#dc2626}.mark-warning{fill:#d97706}.mark-info{fill:#2563eb}
"""


def chart_svg(chart: Chart, *, width: int = 960, height: int = 280, standalone: bool = False) -> str:
    """The chart as one <svg> element (a document of its own with `standalone`)."""
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(_alt(chart))}" '
        f'data-key="{escape(chart.key)}" data-log="{int(chart.log_y)}" '
        f'data-x0="{chart.x_min}" data-x1="{chart.x_max}" '
        f'data-plot="{MARGIN_LEFT} {MARGIN_TOP} {plot_w} {plot_h}">'
    ]
    if standalone:
        parts.append(f"<style>{STANDALONE_STYLE}</style>")
        parts.append(f'<rect class="bg" width="{width}" height="{height}"/>')
        scale = " (log scale)" if chart.log_y else ""
        parts.append(f'<text x="{MARGIN_LEFT}" y="{MARGIN_TOP - 2}">{escape(chart.title)}{scale}</text>')
    parts += _episodes(chart, plot_w, plot_h)
    parts += _axes(chart, plot_w, plot_h)
    for i, line in enumerate(chart.lines):
        parts.append(_path(chart, line, i, plot_w, plot_h))
    parts += _breaks(chart, plot_w, plot_h)
    if chart.empty:
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_w / 2:.0f}" y="{MARGIN_TOP + plot_h / 2:.0f}" text-anchor="middle">'
            "no finite values in this range</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _alt(chart: Chart) -> str:
    runs = ", ".join(line.label for line in chart.lines)
    scale = " (log scale)" if chart.log_y else ""
    return f"{chart.title}{scale} over steps {chart.x_min}–{chart.x_max} for {runs}"


def _px(
    chart: Chart, steps: NDArray[np.int64], values: NDArray[np.float64], w: int, h: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = MARGIN_LEFT + chart.x_fraction(steps) * w
    y = MARGIN_TOP + (1.0 - chart.y_fraction(values)) * h
    return x, y


def _path(chart: Chart, line: ChartLine, index: int, w: int, h: int) -> str:
    """One path per run; a non-finite point lifts the pen, so a NaN shows as a gap (and a mark), never a dive."""
    x, y = _px(chart, line.steps, line.values, w, h)
    ok = np.isfinite(y)
    commands: list[str] = []
    pen_down = False
    for xi, yi, good in zip(x.tolist(), y.tolist(), ok.tolist()):
        if not good:
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{xi:.1f} {yi:.1f}")
        pen_down = True
    d = "".join(commands) or "M0 0"
    return (
        f'<path class="line c{index % PALETTE_SIZE}" d="{d}" data-run="{escape(line.label)}">'
        f"<title>{escape(line.label)}</title></path>"
    )


def _axes(chart: Chart, w: int, h: int) -> list[str]:
    out: list[str] = []
    bottom, right = MARGIN_TOP + h, MARGIN_LEFT + w
    if chart.y_min is not None and chart.y_max is not None:
        for value in ticks(chart.y_min, chart.y_max, 5, log=chart.log_y):
            y = MARGIN_TOP + (1.0 - float(chart.y_fraction(np.array([value]))[0])) * h
            out.append(f'<line class="grid" x1="{MARGIN_LEFT}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
            out.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format_number(value)}</text>')
    for step in ticks(chart.x_min, chart.x_max, 6):
        x = MARGIN_LEFT + float(chart.x_fraction([int(step)])[0]) * w
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{MARGIN_TOP}" y2="{bottom}"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{_step_label(step)}</text>')
    out.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}"/>')
    out.append(f'<line class="axis" x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT}" y1="{MARGIN_TOP}" y2="{bottom}"/>')
    return out


def _step_label(step: float) -> str:
    if abs(step) >= 1_000_000:
        return f"{step / 1e6:g}M"
    if abs(step) >= 10_000:
        return f"{step / 1e3:g}k"
    return format_step(int(step))


def _episodes(chart: Chart, w: int, h: int) -> list[str]:
    """Shaded spans with a marker at each peak; the stretch after a run broke is shaded too."""
    out = []
    bottom = MARGIN_TOP + h
    for line in chart.lines:
        if line.broke_at is not None and line.steps.size:
            x0, x1 = (MARGIN_LEFT + f * w for f in chart.x_fraction([line.broke_at, int(line.steps[-1])]).tolist())
            out.append(
                f'<rect class="tail" x="{max(MARGIN_LEFT, x0):.1f}" y="{MARGIN_TOP}" '
                f'width="{max(2.0, min(MARGIN_LEFT + w, x1) - x0):.1f}" height="{h}"/>'
            )
    for ep in chart.episodes:
        x0, x1 = (MARGIN_LEFT + f * w for f in chart.x_fraction([ep.start, ep.end]).tolist())
        x0, x1 = max(MARGIN_LEFT, x0), min(MARGIN_LEFT + w, x1)
        width = max(2.0, x1 - x0)  # a one-step episode still shows
        out.append(
            f'<rect class="ep ep-{escape(ep.severity)}" x="{x0:.1f}" y="{MARGIN_TOP}" width="{width:.1f}" height="{h}" '
            f'data-kind="{escape(ep.kind)}"><title>{escape(ep.label)}: {escape(ep.message)}</title></rect>'
        )
        peak = MARGIN_LEFT + float(chart.x_fraction([ep.peak])[0]) * w
        out.append(
            f'<path class="mark mark-{escape(ep.severity)}" d="M{peak - 5:.1f} {bottom}L{peak + 5:.1f} {bottom}'
            f'L{peak:.1f} {bottom - 8}Z"><title>{escape(ep.kind)} at step {format_step(ep.peak)}</title></path>'
        )
    return out


def _breaks(chart: Chart, w: int, h: int) -> list[str]:
    """A dashed line where a run's NaN/Inf ending starts, labelled, and small marks for isolated NaNs."""
    out = []
    for line in chart.lines:
        bad = line.nonfinite_steps
        if bad.size:
            xs = MARGIN_LEFT + chart.x_fraction(bad) * w
            marks = "".join(f'<rect x="{x - 1.5:.1f}" y="{MARGIN_TOP}" width="3" height="3"/>' for x in xs.tolist())
            out.append(f'<g class="nan">{marks}</g>')
        if line.broke_at is None:
            continue
        x = MARGIN_LEFT + float(chart.x_fraction([line.broke_at])[0]) * w
        label = f"{line.broke_as} from step {format_step(line.broke_at)}"
        if len(chart.lines) > 1:
            label = f"{line.label}: {label}"
        anchor = "end" if x > MARGIN_LEFT + w * 0.6 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(
            f'<line class="broke" x1="{x:.1f}" x2="{x:.1f}" y1="{MARGIN_TOP}" y2="{MARGIN_TOP + h}"/>'
            f'<text class="broke-label" x="{x + dx:.1f}" y="{MARGIN_TOP + 24}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    return out
