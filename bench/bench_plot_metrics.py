"""plot_metrics and the HTML report on a 1M-step run, after the run is loaded: time and size.

The run (train/loss with spikes and a NaN ending, val/loss every 1000 steps, lr, grad_norm: 1M steps) is held
in memory, so the figures are the drawing path only: analysis of every point, downsampling per pixel column,
PNG drawing (plot_metrics through the in-memory MCP client, a fresh server each time so no answer is reused),
and the HTML report. Medians of --repeat runs.

The first call analyses every point (most of its time); calls that zoom into the same run reuse the analysis.
Usage: python bench/bench_plot_metrics.py [--repeat 5] [--steps 1000000]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time

import anyio
import numpy as np
from mcp import Client

from runwise.adapters.renderers.report import HtmlReportRenderer
from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.entrypoints.mcp.server import build_server
from runwise.services.report import build_report


def big_run(steps: int) -> Run:
    rng = np.random.default_rng(0)
    x = np.arange(steps, dtype=np.int64)
    loss = 4.0 * np.exp(-x / (steps / 6)) + 0.3 + rng.normal(0, 0.02, steps)
    loss[steps // 3] = 40.0
    loss[int(steps * 0.9) :] = np.nan
    val_steps = x[::1000]
    series = {
        "train/loss": MetricSeries("train/loss", x, loss),
        "val/loss": MetricSeries("val/loss", val_steps, loss[::1000] + 0.05),
        "lr": MetricSeries("lr", x, 3e-4 * np.minimum(1.0, (x + 1) / 2000) * np.cos(x / steps * np.pi / 2) + 1e-7),
        "grad_norm": MetricSeries("grad_norm", x, np.abs(rng.normal(1.0, 0.1, steps))),
    }
    info = RunInfo(id="big", name="big", source="memory", last_step=steps - 1)
    return Run(info=info, config={"lr": 3e-4}, summary={}, series=series)


async def plot_once(run: Run, zooms: int = 0) -> tuple[float, int, list[float]]:
    """A first call on a fresh server without the disk cache (the run is analysed), then `zooms` calls on other
    step ranges (the analysis is reused; only the drawing is paid)."""
    app = bootstrap(Settings.load(env={}, cache=False), sources=[InMemoryRunSource([run])])
    async with Client(build_server(app, client_roots=False), raise_exceptions=True) as client:
        start = time.perf_counter()
        result = await client.call_tool("plot_metrics", {"run": "big", "keys": ["train/loss", "val/loss"]})
        elapsed = time.perf_counter() - start
        zoomed = []
        for i in range(zooms):
            begin = time.perf_counter()
            args = {"run": "big", "keys": ["train/loss", "val/loss"], "start": 1000 * i, "stop": 500_000 + i}
            assert not (await client.call_tool("plot_metrics", args)).is_error
            zoomed.append(time.perf_counter() - begin)
    assert not result.is_error
    return elapsed, len(base64.b64decode(result.content[0].data)), zoomed  # type: ignore[union-attr]


async def after_load(folder: str, cache_dir: str) -> tuple[float, float]:
    """A real session: a fresh server over a 1M-step JSONL log already read once (disk cache), summarize_run
    first (the load), then plot_metrics."""
    settings = Settings.load(dir=folder, roots=[folder], env={"RUNWISE_CACHE_DIR": cache_dir})
    async with Client(build_server(bootstrap(settings), client_roots=False), raise_exceptions=True) as client:
        start = time.perf_counter()
        assert not (await client.call_tool("summarize_run", {"run": "latest"})).is_error
        loaded = time.perf_counter()
        assert not (await client.call_tool("plot_metrics", {"run": "latest"})).is_error
        return loaded - start, time.perf_counter() - loaded


def jsonl_after_load(steps: int, repeat: int) -> None:
    import sys
    import tempfile
    from pathlib import Path

    here = Path(__file__).resolve().parent
    folder = here / "data" / f"jsonl{steps}"
    path = folder / f"run{steps}.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(here))
        from generate_jsonl import generate

        generate(steps, path)
    with tempfile.TemporaryDirectory() as cache:
        anyio.run(after_load, str(folder), cache)  # parses once and fills the cache
        runs = [anyio.run(after_load, str(folder), cache) for _ in range(repeat)]
    plots = [p for _, p in runs]
    print(
        f"JSONL {steps:,} steps x 10 metrics, fresh server, run loaded by summarize_run: plot_metrics median "
        f"{statistics.median(plots):.3f} s (min {min(plots):.3f}, max {max(plots):.3f}); "
        f"the load itself median {statistics.median([lo for lo, _ in runs]):.3f} s"
    )


def report_open_time(html: str, repeat: int) -> None:
    """How long headless Chromium takes from opening the report to its load event (tab creation included)."""
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.browser import Browser, chromium_binary

    binary = chromium_binary()
    if binary is None:
        print("HTML report open time: skipped (no chromium)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "report.html"
        page_path.write_text(html, encoding="utf-8")
        browser = Browser(binary)
        times = []
        try:
            for _ in range(repeat):
                start = time.perf_counter()
                page = browser.open_page(page_path)
                times.append(time.perf_counter() - start)
                page.close()
        finally:
            browser.close()
    print(f"HTML report opened in headless Chromium: median {statistics.median(times):.3f} s (min {min(times):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1_000_000)
    args = parser.parse_args()
    run = big_run(args.steps)
    anyio.run(plot_once, run)  # warm-up: imports, font
    results = [anyio.run(plot_once, run, 5) for _ in range(args.repeat)]
    times = [t for t, _, _ in results]
    zooms = [z for _, _, zs in results for z in zs]
    print(
        f"plot_metrics, {args.steps:,} steps, 720x360, first call (analysis included): median "
        f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}), PNG {results[0][1]:,} bytes"
    )
    print(
        f"plot_metrics, same run, other step ranges (analysis reused): median {statistics.median(zooms):.3f} s "
        f"(min {min(zooms):.3f}, max {max(zooms):.3f})"
    )
    app = bootstrap(Settings.load(env={}, cache=False), sources=[InMemoryRunSource([run])])
    report_times, size, html = [], 0, ""
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = build_report(app.catalog, ["big"], app.schema, analyzer=app.analyzer)
        html = HtmlReportRenderer().render(report)
        size = len(html.encode())
        report_times.append(time.perf_counter() - start)
    print(f"HTML report, {args.steps:,} steps: median {statistics.median(report_times):.3f} s, {size:,} bytes")
    report_open_time(html, args.repeat)
    jsonl_after_load(args.steps, args.repeat)


if __name__ == "__main__":
    main()
