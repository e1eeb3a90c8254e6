"""Which library draws the plot_metrics PNG: import time, render time and file size, measured.

The same chart (a 1M-step loss with spikes and a NaN ending, one anomaly episode, downsampled per pixel
column) is drawn by Pillow (ImageDraw, the one Runwise uses), matplotlib's Agg backend, and the report's SVG
rasterised by resvg and by CairoSVG. Import time is measured in fresh interpreters; render time is in-process
after the first call. Medians of --repeat runs.

Usage: python bench/bench_chart_png.py [--repeat 5] [--width 800 --height 400]
Needs: pip install pillow matplotlib resvg-py cairosvg (the ones missing are skipped).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from runwise.adapters.renderers.image.png import render_png
from runwise.adapters.renderers.report.svg import chart_svg
from runwise.domain.anomaly import Anomaly
from runwise.domain.chart import Chart, build_chart
from runwise.domain.model import MetricSeries

IMPORTS = {
    "pillow": "import PIL.Image, PIL.ImageDraw, PIL.ImageFont",
    "matplotlib-agg": "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot",
    "resvg": "import resvg_py",
    "cairosvg": "import cairosvg",
}


def big_series(steps: int = 1_000_000) -> MetricSeries:
    rng = np.random.default_rng(0)
    x = np.arange(steps, dtype=np.int64)
    loss = 4.0 * np.exp(-x / (steps / 6)) + 0.3 + rng.normal(0, 0.02, steps)
    loss[steps // 3] = 40.0  # a one-step spike that must survive downsampling
    loss[int(steps * 0.9) :] = np.nan
    return MetricSeries("train/loss", x, loss)


def make_chart(series: MetricSeries, width: int) -> Chart:
    spike = len(series) // 3
    episode = Anomaly("loss_spike", "train/loss", spike, spike + 5, spike, "warning", "spike", 40.0)
    return build_chart("train/loss", [("run", series, [episode])], columns=width)


def import_seconds(statement: str, repeat: int) -> float | None:
    code = f"import time; t=time.perf_counter(); {statement}; print(time.perf_counter()-t)"
    times = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if proc.returncode:
            return None
        times.append(float(proc.stdout))
    return statistics.median(times)


def with_matplotlib(chart: Chart, width: int, height: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    for ep in chart.episodes:
        ax.axvspan(ep.start, ep.end, color="#fecaca")
    for line in chart.lines:
        ax.plot(line.steps, line.values, linewidth=1)
        if line.broke_at is not None:
            ax.axvline(line.broke_at, color="#dc2626", linestyle="--")
    if chart.log_y:
        ax.set_yscale("log")
    ax.set_title(chart.key, fontsize=9)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def with_resvg(chart: Chart, width: int, height: int) -> bytes:
    import resvg_py

    return bytes(resvg_py.svg_to_bytes(svg_string=chart_svg(chart, width=width, height=height, standalone=True)))


def with_cairosvg(chart: Chart, width: int, height: int) -> bytes:
    import cairosvg

    png = cairosvg.svg2png(bytestring=chart_svg(chart, width=width, height=height, standalone=True).encode())
    assert isinstance(png, bytes)
    return png


def with_pillow(chart: Chart, width: int, height: int) -> bytes:
    return render_png([chart], width=width, height=height)


RENDERERS: dict[str, Callable[[Chart, int, int], bytes]] = {
    "pillow": with_pillow,
    "matplotlib-agg": with_matplotlib,
    "resvg": with_resvg,
    "cairosvg": with_cairosvg,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=400)
    args = parser.parse_args()
    series = big_series()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        chart = make_chart(series, args.width)
        times.append(time.perf_counter() - start)
    print(f"downsample 1M points to {args.width} columns: median {statistics.median(times) * 1000:.1f} ms")
    print(f"{'library':<15} {'import ms':>9} {'render ms':>9} {'PNG bytes':>10}")
    for name, draw in RENDERERS.items():
        imported = import_seconds(IMPORTS[name], args.repeat)
        if imported is None:
            print(f"{name:<15} not installed")
            continue
        png = draw(chart, args.width, args.height)  # warm-up (and font loading)
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            png = draw(chart, args.width, args.height)
            runs.append(time.perf_counter() - start)
        print(f"{name:<15} {imported * 1000:>9.0f} {statistics.median(runs) * 1000:>9.1f} {len(png):>10,}")


if __name__ == "__main__":
    main()
