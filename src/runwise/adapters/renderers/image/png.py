"""Charts as a small PNG for assistants that read images, drawn with Pillow.

Why Pillow (bench/bench_chart_png.py, 1M-step run, 800x400): it imports in a fraction of matplotlib's time,
draws a downsampled chart in milliseconds and, quantised to a small palette, gives the smallest files; the
SVG rasterisers need the SVG built first and give larger files. The figures are in the README's
Performance section and in the benchmark's output.

Lines are drawn at twice the size and scaled down, which smooths them like anti-aliasing; the result is
quantised to an adaptive palette of at most 64 colours, which keeps the file a few tens of kilobytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from runwise.domain.chart import Chart, ticks
from runwise.domain.errors import MissingExtra
from runwise.domain.numbers import format_number, format_step

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

SCALE = 2  # supersampling factor
PALETTE_COLOURS = 64
BG, GRID, AXIS, TEXT = (255, 255, 255), (229, 231, 235), (156, 163, 175), (55, 65, 81)
LINES = [(37, 99, 235), (234, 88, 12), (22, 163, 74), (147, 51, 234), (8, 145, 178), (219, 39, 119), (101, 163, 13)]
EPISODE = {"critical": (254, 202, 202), "warning": (253, 230, 138), "info": (191, 219, 254)}
MARKER = {"critical": (220, 38, 38), "warning": (217, 119, 6), "info": (37, 99, 235)}
BROKE, TAIL = (220, 38, 38), (254, 242, 242)
LEFT, RIGHT, TOP, BOTTOM = 58, 10, 20, 22  # margins of one panel, in output pixels


def render_png(charts: Sequence[Chart], *, width: int, height: int, title: str = "") -> bytes:
    """The charts stacked vertically in one PNG of exactly width x height pixels."""
    try:
        from PIL import Image, ImageDraw
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtra("pillow", "image", "Drawing a chart image") from exc
    big = Image.new("RGB", (width * SCALE, height * SCALE), BG)
    draw = ImageDraw.Draw(big)
    font = _font(11 * SCALE)
    top = 0
    if title:
        draw.text((LEFT * SCALE, 3 * SCALE), title, fill=TEXT, font=font)
        top = 16
    panels = max(1, len(charts))
    panel_h = (height - top) / panels
    for i, chart in enumerate(charts):
        y0 = top + i * panel_h
        _panel(draw, font, chart, (0, y0, width, y0 + panel_h))
    small = big.resize((width, height), Image.Resampling.BOX)
    quantised = small.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    quantised.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled font: no system fonts needed
    except (OSError, TypeError):  # pragma: no cover - Pillow built without FreeType
        return ImageFont.load_default()


def _panel(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    chart: Chart,
    box: tuple[float, float, float, float],
) -> None:
    s = SCALE
    x0, y0 = (box[0] + LEFT) * s, (box[1] + TOP) * s
    x1, y1 = (box[2] - RIGHT) * s, (box[3] - BOTTOM) * s
    w, h = x1 - x0, y1 - y0

    def px(steps: NDArray[np.int64], values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return x0 + chart.x_fraction(steps) * w, y0 + (1.0 - chart.y_fraction(values)) * h

    for line in chart.lines:  # the stretch after a run broke, lightly shaded
        if line.broke_at is not None and line.steps.size:
            a, b = (x0 + f * w for f in chart.x_fraction([line.broke_at, int(line.steps[-1])]).tolist())
            draw.rectangle((max(x0, a), y0, min(x1, max(b, a + 2 * s)), y1), fill=TAIL)
    for ep in chart.episodes:
        a, b = (x0 + f * w for f in chart.x_fraction([ep.start, ep.end]).tolist())
        a, b = max(x0, a), min(x1, max(b, a + 2 * s))
        colour = EPISODE.get(ep.severity, EPISODE["info"])
        draw.rectangle((a, y0, b, y1), fill=colour)
        peak = x0 + float(chart.x_fraction([ep.peak])[0]) * w
        marker = MARKER.get(ep.severity, MARKER["info"])
        draw.polygon([(peak - 5 * s, y1), (peak + 5 * s, y1), (peak, y1 - 8 * s)], fill=marker)
    if chart.y_min is not None and chart.y_max is not None:
        for value in ticks(chart.y_min, chart.y_max, 4, log=chart.log_y):
            y = y0 + (1.0 - float(chart.y_fraction(np.array([value]))[0])) * h
            draw.line((x0, y, x1, y), fill=GRID, width=s)
            draw.text((x0 - 4 * s, y), format_number(value), fill=TEXT, font=font, anchor="rm")
    for step in ticks(chart.x_min, chart.x_max, 5):
        x = x0 + float(chart.x_fraction([int(step)])[0]) * w
        draw.line((x, y0, x, y1), fill=GRID, width=s)
        draw.text((x, y1 + 4 * s), _step_label(step), fill=TEXT, font=font, anchor="mt")
    draw.rectangle((x0, y0, x1, y1), outline=AXIS, width=s)
    for i, line in enumerate(chart.lines):
        xs, ys = px(line.steps, line.values)
        colour = LINES[i % len(LINES)]
        for run in _finite_runs(ys):
            pts = list(zip(xs[run].tolist(), ys[run].tolist()))
            if len(pts) == 1:
                draw.ellipse((pts[0][0] - s, pts[0][1] - s, pts[0][0] + s, pts[0][1] + s), fill=colour)
            else:
                draw.line(pts, fill=colour, width=int(1.5 * s), joint="curve")
        for x in (x0 + chart.x_fraction(line.nonfinite_steps) * w).tolist():
            draw.rectangle((x - 2 * s, y0, x + 2 * s, y0 + 4 * s), fill=BROKE)
        if line.broke_at is not None:
            x = x0 + float(chart.x_fraction([line.broke_at])[0]) * w
            _dashed(draw, x, y0, y1, BROKE, s)
            label = f"{line.broke_as} from {format_step(line.broke_at)}"
            anchor = "rt" if x > x0 + w * 0.6 else "lt"
            draw.text((x + (-4 if anchor == "rt" else 4) * s, y0 + 6 * s), label, fill=BROKE, font=font, anchor=anchor)
    title = chart.title + ("  (log)" if chart.log_y else "")
    draw.text((x0, y0 - 3 * s), title, fill=TEXT, font=font, anchor="lb")
    if len(chart.lines) > 1:
        _legend(draw, font, chart, x1, y0 - 3 * s)
    if chart.empty:
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), "no finite values", fill=TEXT, font=font, anchor="mm")


def _finite_runs(ys: NDArray[np.float64]) -> list[slice]:
    """Slices of consecutive finite points: a NaN lifts the pen."""
    ok = np.isfinite(ys)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
    return [slice(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def _dashed(draw: ImageDraw.ImageDraw, x: float, y0: float, y1: float, colour: tuple[int, int, int], s: int) -> None:
    y = y0
    while y < y1:
        draw.line((x, y, x, min(y1, y + 5 * s)), fill=colour, width=s + 1)
        y += 9 * s


def _legend(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    chart: Chart,
    right: float,
    baseline: float,
) -> None:
    x = right
    for i, line in reversed(list(enumerate(chart.lines))):
        label = line.label[:24]
        width = draw.textlength(label, font=font)
        x -= width
        draw.text((x, baseline), label, fill=TEXT, font=font, anchor="lb")
        x -= 14 * SCALE
        draw.rectangle((x, baseline - 8 * SCALE, x + 10 * SCALE, baseline - 5 * SCALE), fill=LINES[i % len(LINES)])
        x -= 10 * SCALE


def _step_label(step: float) -> str:
    if abs(step) >= 1_000_000:
        return f"{step / 1e6:g}M"
    if abs(step) >= 10_000:
        return f"{step / 1e3:g}k"
    return format_step(int(step))
