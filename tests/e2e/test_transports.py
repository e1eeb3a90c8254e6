"""One test body over the three transports: every declared tool answers, errors are one line in tool words."""

from __future__ import annotations

import pytest
from mcp import Client

from runwise.entrypoints.capabilities import TOOLS
from tests.e2e.calls import CALLS
from tests.e2e.clients import assert_no_cli_words, call_error

pytestmark = pytest.mark.anyio


async def test_every_tool_and_its_errors(mcp_client: Client) -> None:
    tools = (await mcp_client.list_tools()).tools
    assert [t.name for t in tools] == [c.tool for c in TOOLS]
    for capability in TOOLS:
        result = await mcp_client.call_tool(capability.tool_name, CALLS[capability.name])
        text = result.content[-1].text  # type: ignore[union-attr]  # after the image, for plot_metrics
        assert not result.is_error, (capability.tool, text)
        capability.output.model_validate(result.structured_content)
        assert_no_cli_words(text)
    outside = await call_error(mcp_client, "summarize_run", {"run": "../../etc/passwd"})
    assert "outside the allowed roots" in outside
    unknown = await call_error(mcp_client, "get_history", {"run": "baseline", "keys": ["val/loss"], "start": 90})
    assert unknown == (
        "Unknown argument 'start' for get_history; it accepts: keys, run, samples, from_step, to_step, align, "
        "token_budget."
    )
    backwards = await call_error(mcp_client, "get_history", {"keys": ["val/loss"], "from_step": 90, "to_step": 10})
    assert backwards.endswith("from_step=90 is after to_step=10 — give a start step before the end step")
