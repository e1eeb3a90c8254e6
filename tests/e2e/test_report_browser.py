"""The HTML report opened in headless Chromium with networking off: it loads, its charts are in the DOM, the
console is clean, nothing but the file itself is requested, and the screenshot shows something.

The runs are the example logs of a real training loop (examples/jsonl: lr-too-high diverges to NaN) and a run
written by tensorboardX's SummaryWriter (examples/tensorboard). One Chromium serves every test of the session.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from PIL import Image

from runwise.entrypoints.cli import main
from tests.browser import Browser, Page, chromium_binary

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    chrome = Browser(binary)
    yield chrome
    chrome.close()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    shutil.copytree(EXAMPLES / "jsonl", root / "jsonl")
    shutil.copytree(EXAMPLES / "tensorboard", root / "tensorboard")
    return root


def report(logs: Path, out: Path, *refs: str) -> Path:
    stdout = StringIO()
    assert main(["--dir", str(logs), "report", *refs, "-o", str(out)], stdout=stdout) == 0, stdout.getvalue()
    return out


def open_checked(browser: Browser, path: Path, *, dark: bool = False) -> Page:
    """Open offline and check what every report must satisfy: clean console, no request but the file."""
    page = browser.open_page(path, dark=dark)
    assert page.errors() == []
    assert page.requests() == [path.resolve().as_uri()]
    assert page.failed_requests() == []
    return page


def non_blank(png: bytes) -> float:
    """Share of pixels that differ from the most common (background) colour."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None
    background = max(colours)[0]
    return 1 - background / (image.width * image.height)


def test_report_of_a_run_that_broke_opens_offline_with_its_charts(browser: Browser, logs: Path, tmp_path: Path) -> None:
    path = report(logs, tmp_path / "report.html", "lr-too-high")
    page = open_checked(browser, path)
    charts = page.evaluate("document.querySelectorAll('figure.metric svg.chart').length")
    assert charts >= 4
    assert page.evaluate("document.querySelectorAll('svg.chart path.line').length") == charts
    assert page.evaluate("document.body.dataset.chartsReady") == str(charts)  # the inline script ran
    assert page.evaluate("document.querySelectorAll('svg.chart rect.ep').length") >= 1  # episodes shaded
    labels = page.evaluate("[...document.querySelectorAll('text.broke-label')].map(t => t.textContent)")
    assert "NaN from step 693" in labels
    assert page.evaluate("document.querySelectorAll('table.anomalies tbody tr').length") == 6
    shot = page.screenshot(tmp_path / "report.png")
    assert Image.open(io.BytesIO(shot)).size == (1100, 900)
    assert non_blank(shot) > 0.05
    # hover: the read-out names the step and the value under the pointer
    box = page.evaluate(
        "(() => { const r = document.querySelector('svg.chart').getBoundingClientRect();"
        " return [r.left + r.width * 0.3, r.top + r.height / 2]; })()"
    )
    browser.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box[0], "y": box[1]}, session=page.session)
    tip = page.evaluate("document.querySelector('figure.metric .tip').textContent")
    assert tip.startswith("step ") and any(ch.isdigit() for ch in tip[5:])
    page.close()


def test_comparison_report_draws_a_line_per_run_and_follows_the_dark_scheme(
    browser: Browser, logs: Path, tmp_path: Path
) -> None:
    path = report(logs, tmp_path / "compare.html", "lr-too-high", "baseline", "small-data")
    page = open_checked(browser, path, dark=True)
    per_chart = page.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(s => s.querySelectorAll('path.line').length)"
    )
    assert per_chart and all(n == 3 for n in per_chart[:2])
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 24, 39)"
    assert non_blank(page.screenshot(tmp_path / "dark.png")) > 0.05
    page.close()


def test_report_of_a_tensorboard_run(browser: Browser, logs: Path, tmp_path: Path) -> None:
    path = report(logs, tmp_path / "tb.html", "tb:wide-mlp")
    page = open_checked(browser, path)
    keys = page.evaluate("[...document.querySelectorAll('svg.chart')].map(s => s.dataset.key)")
    assert "Loss/train" in keys and "Loss/val" in keys
    page.close()
