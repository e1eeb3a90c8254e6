"""plot_metrics through the MCP client: a PNG of the requested size under the byte bound, anomalies marked, and a
one-line alt text; errors are one line. The runs are the example logs of a real training loop."""

from __future__ import annotations

import base64
import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client
from mcp_types import CallToolResult, ImageContent, TextContent
from PIL import Image

from runwise.entrypoints.mcp.server import build_server
from runwise.entrypoints.structured.pictures import PlotOut
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"
DEFAULT_BOUND = 60 * 1024


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    root = tmp_path / "logs"
    shutil.copytree(EXAMPLES, root)
    async with Client(build_server(app_for(root, cwd=tmp_path)), raise_exceptions=True) as c:
        yield c


def image_of(result: CallToolResult) -> tuple[Image.Image, int, str]:
    assert not result.is_error, result.content
    image, alt = result.content
    assert isinstance(image, ImageContent) and image.mime_type == "image/png"
    assert isinstance(alt, TextContent)
    png = base64.b64decode(image.data)
    decoded = Image.open(io.BytesIO(png))
    decoded.load()
    return decoded, len(png), alt.text


async def test_default_chart_is_a_small_png_with_a_one_line_alt(client: Client) -> None:
    result = await client.call_tool("plot_metrics", {"run": "lr-too-high"})
    image, size, alt = image_of(result)
    assert image.format == "PNG" and image.size == (720, 360)
    assert size <= DEFAULT_BOUND
    assert "\n" not in alt and "NaN from step 693" in alt and alt.startswith("Chart of lr-too-high")
    out = PlotOut.model_validate(result.structured_content)
    assert (out.width, out.height, out.bytes) == (720, 360, size)
    assert out.charts[0].key == "train/loss" and out.charts[0].broke_at == {"lr-too-high": 693}
    assert out.charts[0].anomalies >= 1


async def test_several_runs_keys_range_and_size(client: Client) -> None:
    args = {
        "runs": ["lr-too-high", "baseline"],
        "keys": ["val/loss", "train/acc"],
        "from_step": 0,
        "to_step": 1200,
        "width": 500,
        "height": 420,
    }
    image, size, alt = image_of(await client.call_tool("plot_metrics", args))
    assert image.size == (500, 420) and size <= DEFAULT_BOUND
    assert "lr-too-high, baseline" in alt and "steps 0–1,200" in alt
    # the picture is not blank: lines of two colours besides the greys
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 8


async def test_bad_arguments_are_tool_errors_of_one_line(client: Client) -> None:
    for args, expected in [
        ({"run": "baseline", "keys": ["nope"]}, "no metric 'nope'"),
        ({"run": "baseline", "width": 5000}, "width"),
        ({"run": "baseline", "from_step": 500, "to_step": 100}, "after"),
    ]:
        result = await client.call_tool("plot_metrics", args)
        assert result.is_error
        text = result.content[0].text  # type: ignore[union-attr]
        assert expected in text and "\n" not in text


async def test_report_runs_is_the_markdown_report_within_its_budget(client: Client) -> None:
    from runwise.adapters.tokens import EstimatingTokenCounter

    result = await client.call_tool("report_runs", {"runs": ["lr-too-high", "baseline"], "token_budget": 800})
    assert not result.is_error, result.content
    text = result.content[0].text  # type: ignore[union-attr]
    assert text.startswith("# Runwise report — 2 runs: lr-too-high, baseline")
    assert "### Anomalies (6)" in text and "<svg" not in text
    assert EstimatingTokenCounter().count(text) <= 800
    out = result.structured_content or {}
    assert out["health"] == {"lr-too-high": "critical", "baseline": "healthy"}
    assert out["anomalies"]["lr-too-high"] == 6 and "train/loss" in out["charts"]
