"""Make the README's pictures: the HTML report of two example runs and `runwise plot` in a colour terminal,
both photographed by headless Chromium (Debian's `chromium`), then reduced to a small palette.

Usage: python scripts/screenshots.py [OUT_DIR]   (default: docs/images)
"""

from __future__ import annotations

import html
import io
import re
import shutil
import sys
import tempfile
from io import StringIO
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import Browser, chromium_binary  # noqa: E402

from runwise.adapters.renderers.terminal_chart import render_terminal  # noqa: E402
from runwise.bootstrap import bootstrap  # noqa: E402
from runwise.config import Settings  # noqa: E402
from runwise.entrypoints.cli import main  # noqa: E402
from runwise.services.charts import plot  # noqa: E402

SGR = re.compile(r"\x1b\[([0-9;]*)m")
ANSI_COLOURS = {"31": "#f87171", "32": "#4ade80", "33": "#fbbf24", "34": "#60a5fa", "35": "#c084fc", "36": "#22d3ee"}


def terminal_html(text: str) -> str:
    """ANSI-coloured terminal text as a dark terminal page."""
    out, colour = [], None
    position = 0
    for match in SGR.finditer(text):
        out.append(_span(text[position : match.start()], colour))
        codes = [c for c in match.group(1).split(";") if c]
        colour = next((ANSI_COLOURS[c] for c in codes if c in ANSI_COLOURS), None) if codes and codes != ["0"] else None
        position = match.end()
    out.append(_span(text[position:], colour))
    body = "".join(out)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{margin:0;background:#111827}"
        "pre{margin:0;padding:14px 18px;color:#e5e7eb;font:13px/1.25 'DejaVu Sans Mono',monospace}i{font-style:normal;display:inline-block;width:1ch;overflow:hidden;vertical-align:bottom}</style></head>"
        f"<body><pre>$ runwise plot lr-too-high baseline -k train/loss\n{body}</pre></body></html>"
    )


def _span(text: str, colour: str | None) -> str:
    # braille cells are drawn one character wide, as a terminal does, whatever width the font gives them
    escaped = "".join(f"<i>{ch}</i>" if 0x2800 <= ord(ch) <= 0x28FF else html.escape(ch) for ch in text)
    return f"<span style='color:{colour}'>{escaped}</span>" if colour and text else escaped


def small_png(png: bytes, path: Path, colours: int = 96) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main_(out: Path) -> None:
    binary = chromium_binary()
    if binary is None:
        raise SystemExit("install chromium first (apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / "logs"
        shutil.copytree(ROOT / "examples" / "jsonl", logs)
        report = Path(tmp) / "report.html"
        code = main(["--dir", str(logs), "report", "lr-too-high", "baseline", "-o", str(report)], stdout=StringIO())
        assert code == 0
        app = bootstrap(Settings.load(dir=str(logs), env={}))
        charts = plot(
            app.catalog, ["lr-too-high", "baseline"], ["train/loss"], app.schema, analyzer=app.analyzer, columns=86
        )
        page_text = terminal_html(render_terminal(charts.charts, width=100, height=14, color=True, ascii_only=False))
        terminal = Path(tmp) / "plot.html"
        terminal.write_text(page_text, encoding="utf-8")
        browser = Browser(binary)
        try:
            page = browser.open_page(report, width=1000, height=760)
            small_png(page.screenshot(Path(tmp) / "r.png"), out / "report.png")
            page = browser.open_page(terminal, width=800, height=420)
            small_png(page.screenshot(Path(tmp) / "p.png"), out / "plot.png", colours=48)
        finally:
            browser.close()
    for name in ("report.png", "plot.png"):
        print(f"{out / name}: {(out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main_(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images")
