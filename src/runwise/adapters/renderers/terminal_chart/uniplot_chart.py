"""Charts for the terminal, drawn by uniplot (the `plot` extra): braille curves in colour on a terminal, plain
ASCII (`+` marks and `|`/`-` frame) when the output is not a terminal or colour is off.

uniplot was chosen over plotext because it is numpy-based (a chart of the downsampled points draws in a few
milliseconds), has an ASCII character set and log axes, and its output is deterministic for snapshots.
An anomaly episode's onset and a NaN ending are vertical lines on the chart, with a row of `^` under the x axis and a
line per marker saying what happened there.
"""

from __future__ import annotations

from collections.abc import Sequence

from runwise.domain.chart import Chart
from runwise.domain.errors import MissingExtra
from runwise.domain.numbers import format_step

LABEL_COLUMNS = 12  # uniplot puts the y labels right of the frame
MAX_MARKERS = 6
_ASCII_FRAME = str.maketrans(
    {"─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "╭": "+", "╮": "+", "╰": "+", "╯": "+"}
)
_SEVERITY_COLOUR = {"critical": "red", "warning": "yellow", "info": "blue"}


def render_terminal(charts: Sequence[Chart], *, width: int, height: int, color: bool, ascii_only: bool) -> str:
    """Every chart, one under the other; `width` is the terminal's, `height` the rows of one chart's plot area."""
    try:
        import uniplot
    except ImportError as exc:
        raise MissingExtra("uniplot", "plot", "Terminal charts") from exc
    plot_width = max(20, width - LABEL_COLUMNS - 2)
    blocks = [_chart(uniplot, chart, plot_width, max(4, height), color, ascii_only) for chart in charts]
    return "\n\n".join(blocks) + "\n"


def _chart(uniplot: object, chart: Chart, width: int, height: int, color: bool, ascii_only: bool) -> str:
    title = chart.title + (" (log scale)" if chart.log_y else "")
    if chart.empty:
        return f"{title}\n  no finite values in this range"
    markers = _markers(chart)
    options: dict[str, object] = {
        "lines": True,
        "width": width,
        "height": height,
        "title": title,
        "x_min": chart.x_min,
        "x_max": chart.x_max,
        "y_min": chart.y_min,
        "y_max": chart.y_max,
        "y_as_log": chart.log_y,
        "y_gridlines": [],
        "x_gridlines": [step for step, _, _ in markers],
        "character_set": "ascii" if ascii_only else "braille",
        "color": color,
    }
    if color and markers:
        options["x_gridlines_color"] = [colour for _, colour, _ in markers]
    if len(chart.lines) > 1:
        options["legend_labels"] = [line.label for line in chart.lines]
    xs = [line.steps.astype(float) for line in chart.lines]
    ys = [line.values for line in chart.lines]
    text: str = uniplot.plot_to_string(ys, xs, **options)  # type: ignore[attr-defined]
    if ascii_only:
        text = text.translate(_ASCII_FRAME)
    lines = [line.rstrip() for line in text.splitlines()]
    if markers:
        lines.append(_caret_row(chart, width, [step for step, _, _ in markers]))
        lines += [f"  ^ {format_step(int(step))}: {what}" for step, _, what in markers]
    return "\n".join(lines)


def _markers(chart: Chart) -> list[tuple[float, str, str]]:
    """(step, colour, what) for each episode's onset and each run's NaN ending, in step order."""
    several = len(chart.lines) > 1
    found: list[tuple[float, str, str]] = []
    for ep in chart.episodes:
        who = f"{ep.label}: " if several else ""
        peak = f", peak at {format_step(ep.peak)}" if ep.peak != ep.start else ""
        what = f"{who}{ep.kind} ({ep.severity}) from here{peak}"
        found.append((float(ep.start), _SEVERITY_COLOUR.get(ep.severity, "blue"), what))
    for line in chart.lines:
        if line.broke_at is not None:
            who = f"{line.label}: " if several else ""
            found.append((float(line.broke_at), "red", f"{who}{line.broke_as} from here to the end"))
    found.sort(key=lambda m: m[0])
    if len(found) > MAX_MARKERS:
        last = found[-1]
        found = [*found[: MAX_MARKERS - 1], (last[0], last[1], f"{last[2]} (+{len(found) - MAX_MARKERS} more)")]
    return found


def _caret_row(chart: Chart, width: int, steps: Sequence[float]) -> str:
    """A ^ under the frame at each marker's column."""
    row = [" "] * (width + 2)
    span = max(1, chart.x_max - chart.x_min)
    for step in steps:
        column = 1 + round((step - chart.x_min) / span * (width - 1))
        row[min(width, max(1, column))] = "^"
    return "".join(row).rstrip()
