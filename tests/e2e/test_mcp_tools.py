"""Every MCP tool through the SDK's in-memory Client, on real JSONL logs in a temporary folder."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult, ListRootsResult, Root

from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.entrypoints.mcp.server import build_server
from runwise.entrypoints.structured.inspect import (
    ConfigOut,
    HistoryOut,
    KeyListOut,
    RunListOut,
    RunSummaryOut,
    StatsOut,
)
from tests.e2e.clients import call_error, call_ok, text_of
from tests.e2e.logs import TOOL_NAMES, app_for, make_logs, make_outside, write_big, write_jsonl

pytestmark = pytest.mark.anyio
TOKENS = EstimatingTokenCounter()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    make_logs(root)
    make_outside(tmp_path, root)
    return root


@pytest.fixture
async def client(logs: Path, tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(build_server(app_for(logs, cwd=tmp_path)), raise_exceptions=True) as c:
        yield c


# the tool list ---------------------------------------------------------------------------------
async def test_tool_list_and_schemas_are_pinned(client: Client, snapshot: Any) -> None:
    tools = (await client.list_tools()).tools
    pinned = [
        {
            "name": t.name,
            "title": t.title,
            "description": t.description,
            "annotations": t.annotations.model_dump(exclude_none=True) if t.annotations else None,
            "input_schema": t.input_schema,
            "output_schema": t.output_schema,
        }
        for t in tools
    ]
    assert pinned == snapshot


async def test_tools_are_read_only_and_teach_the_zoom_in(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert list(tools) == TOOL_NAMES
    for tool in tools.values():
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.output_schema is not None
        assert "roots" not in tool.input_schema["properties"]  # filled by the server, not the model
    for name in ("list_runs", "list_keys", "summarize_run", "health_check", "get_history"):
        assert tools[name].description and "Step" in tools[name].description
    assert tools["summarize_run"].input_schema["properties"]["token_budget"]["default"] == 400
    assert tools["compare_runs"].input_schema["properties"]["token_budget"]["default"] == 500
    assert tools["compare_runs"].input_schema["properties"]["runs"]["minItems"] == 2
    assert tools["compare_runs"].input_schema["required"] == ["runs"]
    assert "token_budget" not in tools["health_check"].input_schema["properties"]  # always 80 tokens
    assert tools["get_history"].input_schema["required"] == ["keys"]


async def test_instructions_describe_the_zoom_in(logs: Path, tmp_path: Path) -> None:
    server = build_server(app_for(logs, cwd=tmp_path))
    text = server.instructions or ""
    assert text.index("list_runs") < text.index("list_keys") < text.index("summarize_run") < text.index("get_history")
    assert text.index("list_keys") < text.index("health_check") < text.index("get_history")
    for name in TOOL_NAMES:
        assert name in text


# every tool --------------------------------------------------------------------------------------
async def test_list_runs(client: Client, logs: Path) -> None:
    result = await call_ok(client, "list_runs", {})
    out = RunListOut.model_validate(result.structured_content)
    ids = {r.id for r in out.runs}
    assert {"healthy", "nan-run", "wide", "corrupt"} <= ids
    assert "secret" not in " ".join(ids) and "link" not in ids  # the symlink out is not listed
    assert "jsonl:healthy" in text_of(result)
    filtered = RunListOut.model_validate((await call_ok(client, "list_runs", {"limit": 1})).structured_content)
    assert len(filtered.runs) == 1


async def test_list_keys(client: Client) -> None:
    result = await call_ok(client, "list_keys", {"run": "healthy"})
    out = KeyListOut.model_validate(result.structured_content)
    keys = {k.key for g in out.groups for k in g.keys}
    assert {"train/loss", "train/acc", "val/loss", "lr"} <= keys
    assert "val/loss: 20 pts, steps 0–1,900" in text_of(result)
    only_val = KeyListOut.model_validate(
        (await call_ok(client, "list_keys", {"run": "healthy", "prefix": "val/"})).structured_content
    )
    assert [k.key for g in only_val.groups for k in g.keys] == ["val/loss"]


async def test_summarize_run(client: Client) -> None:
    result = await call_ok(client, "summarize_run", {"run": "nan-run"})
    out = RunSummaryOut.model_validate(result.structured_content)
    assert out.run.id == "nan-run"
    assert out.tokens == TOKENS.count(text_of(result)) <= 400
    loss = next(m for m in out.metrics if m.key == "train/loss")
    assert loss.last_step == 1499
    assert "non-finite" in text_of(result)


async def test_summarize_latest_is_the_default(client: Client) -> None:
    out = RunSummaryOut.model_validate((await call_ok(client, "summarize_run", {})).structured_content)
    assert out.run.id in {"healthy", "nan-run", "wide", "corrupt"}


async def test_get_history(client: Client) -> None:
    args = {"run": "healthy", "keys": ["val/loss"], "samples": 8, "from_step": 500, "to_step": 1500}
    result = await call_ok(client, "get_history", args)
    out = HistoryOut.model_validate(result.structured_content)
    series = out.series[0]
    assert series.key == "val/loss" and series.total_points == 11
    assert all(500 <= s <= 1500 for s in series.steps)
    assert "val/loss (11 pts" in text_of(result)


async def test_get_history_keeps_the_nan(client: Client) -> None:
    out = HistoryOut.model_validate(
        (await call_ok(client, "get_history", {"run": "nan-run", "keys": ["train/loss"]})).structured_content
    )
    assert "NaN" in out.series[0].values
    assert 1200 in out.series[0].steps


async def test_get_stats(client: Client) -> None:
    result = await call_ok(client, "get_stats", {"run": "nan-run", "keys": ["train/loss", "val/loss"]})
    out = StatsOut.model_validate(result.structured_content)
    loss = next(s for s in out.stats if s.key == "train/loss")
    assert loss.nonfinite == 1 and loss.first_nonfinite_step == 1200 and loss.points == 1500
    assert "1 (from 1,200)" in text_of(result)
    every = StatsOut.model_validate((await call_ok(client, "get_stats", {"run": "healthy"})).structured_content)
    assert {s.key for s in every.stats} >= {"train/loss", "val/loss", "lr"}


async def test_get_config(client: Client) -> None:
    result = await call_ok(client, "get_config", {"run": "healthy"})
    out = ConfigOut.model_validate(result.structured_content)
    assert out.config == {"lr": 3e-4, "model": {"layers": 12}}
    assert "model.layers" in text_of(result)


async def test_resources_and_prompt(client: Client) -> None:
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["runwise://runs/{ref}/summary"]
    assert [str(r.uri) for r in (await client.list_resources()).resources] == ["runwise://runs"]
    runs = (await client.read_resource("runwise://runs")).contents[0]
    assert "jsonl:healthy" in runs.text  # type: ignore[union-attr]
    summary = (await client.read_resource("runwise://runs/healthy/summary")).contents[0]
    assert summary.text.startswith("**healthy**")  # type: ignore[union-attr]
    assert TOKENS.count(summary.text) <= 400  # type: ignore[union-attr]
    prompt = await client.get_prompt("diagnose_run", {"run": "healthy"})
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert text.index("summarize_run") < text.index("list_keys") < text.index("get_history")


# budgets -----------------------------------------------------------------------------------------
async def test_list_keys_fits_300_tokens_for_a_50_key_run(client: Client) -> None:
    result = await call_ok(client, "list_keys", {"run": "wide"})
    out = KeyListOut.model_validate(result.structured_content)
    text = text_of(result)
    assert out.total == 50 and TOKENS.count(text) <= 300
    shown = [k.key for g in out.groups for k in g.keys]  # the structured output holds the keys the text shows
    assert 0 < len(shown) < 50 and all(key.split("/")[-1] in text for key in shown)
    for prefix in ("train/", "val/", "system/", "optim/"):
        assert prefix in text


async def test_list_keys_compacts_many_keys_to_the_budget(tmp_path: Path) -> None:
    rows = [
        {"step": s, **{f"g{k % 5}/key_{k:03d}": float(k) for k in range(200) if s % (1 + k % 17) == 0}}
        for s in range(100)
    ]
    write_jsonl(tmp_path / "logs" / "huge.jsonl", rows)
    async with Client(build_server(app_for(tmp_path / "logs", cwd=tmp_path))) as c:
        text = text_of(await call_ok(c, "list_keys", {"run": "huge"}))
    assert TOKENS.count(text) <= 300
    assert "more g1/ key lines: pass prefix='g1/'" in text  # says what it left out and how to get it
    assert all(f"g{i}/" in text for i in range(5))  # every group keeps a line


async def test_summary_fits_default_and_custom_budgets(client: Client) -> None:
    for run in ("healthy", "nan-run", "wide"):
        assert TOKENS.count(text_of(await call_ok(client, "summarize_run", {"run": run}))) <= 400
    small = await call_ok(client, "summarize_run", {"run": "wide", "token_budget": 150})
    assert TOKENS.count(text_of(small)) <= 150


async def test_history_reduces_samples_to_fit_600_tokens(client: Client) -> None:
    keys = ["train/loss", "train/acc", "lr", "val/loss"]
    result = await call_ok(client, "get_history", {"run": "healthy", "keys": keys})
    text = text_of(result)
    assert TOKENS.count(text) <= 600
    assert "samples reduced from 40 to" in text
    out = HistoryOut.model_validate(result.structured_content)
    assert out.samples < 40  # the structured output is the reduced history the text shows
    one = text_of(await call_ok(client, "get_history", {"run": "healthy", "keys": ["train/loss"]}))
    assert TOKENS.count(one) <= 600 and "reduced" not in one


async def test_stats_for_many_keys_fit_the_budget_losses_first(client: Client) -> None:
    text = text_of(await call_ok(client, "get_stats", {"run": "wide"}))
    assert TOKENS.count(text) <= 600
    assert "more keys" in text


# errors: one sentence each, and the server keeps serving -------------------------------------------
@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("summarize_run", {"run": "../../etc/passwd"}, "outside the allowed roots"),
        ("summarize_run", {"run": "/etc/passwd"}, "outside the allowed roots"),
        ("get_stats", {"run": "LINK"}, "outside the allowed roots"),
        ("list_keys", {"run": "LINKED_DIR/secret.jsonl"}, "outside the allowed roots"),
        ("summarize_run", {"run": "no-such-run"}, "no run matches 'no-such-run'"),
        ("get_history", {"run": "healthy", "keys": ["val/los"]}, "has no metric 'val/los'"),
        ("get_stats", {"run": "healthy", "keys": ["nope"]}, "has no metric 'nope'"),
        ("list_keys", {"run": "healthy", "prefix": "nope/"}, "no keys starting with 'nope/'"),
        ("summarize_run", {"run": "corrupt"}, "is not JSON lines"),
        ("get_history", {"run": "healthy", "keys": ["lr"], "from_step": 90, "to_step": 10}, "after"),
        ("get_history", {"run": "healthy"}, "Invalid argument 'keys'"),
        ("get_history", {"run": "healthy", "keys": ["lr"], "samples": 1}, "Invalid argument 'samples'"),
        ("summarize_run", {"run": 123}, "Invalid argument 'run'"),
        ("summarize_run", {"token_budget": "lots"}, "Invalid argument 'token_budget'"),
        ("list_runs", {"state": "exploded"}, "Invalid argument 'state'"),
        ("no_such_tool", {}, "Unknown tool"),
    ],
)
async def test_bad_calls_are_one_sentence_tool_errors(
    client: Client, logs: Path, tool: str, args: dict[str, Any], expected: str
) -> None:
    args = {k: (_paths(v, logs) if isinstance(v, str) else v) for k, v in args.items()}
    message = await call_error(client, tool, args)
    assert expected in message
    out = RunSummaryOut.model_validate((await call_ok(client, "summarize_run", {"run": "healthy"})).structured_content)
    assert out.run.id == "healthy"  # still serving


def _paths(value: str, logs: Path) -> str:
    return value.replace("LINKED_DIR", str(logs / "linked_dir")).replace("LINK", str(logs / "link.jsonl"))


async def test_unexpected_failure_is_a_tool_error_and_the_server_keeps_serving(tmp_path: Path) -> None:
    class Exploding(InMemoryRunSource):
        def load_run(self, run_id: str) -> Run:
            if run_id == "boom":
                raise ZeroDivisionError("division by zero in a reader")
            return super().load_run(run_id)

    source = Exploding([_memory_run("boom"), _memory_run("fine")])
    app = bootstrap(Settings.load(cwd=tmp_path, env={}), sources=[source])
    async with Client(build_server(app)) as c:
        message = await call_error(c, "summarize_run", {"run": "boom"})
        assert "ZeroDivisionError" in message and "server log" in message
        await call_ok(c, "summarize_run", {"run": "fine"})


def _memory_run(run_id: str) -> Run:
    steps = list(range(100))
    series = {"loss": MetricSeries("loss", steps, [1.0 / (s + 1) for s in steps])}
    info = RunInfo(id=run_id, name=run_id, source="memory", state="finished", last_step=99)
    return Run(info=info, config={}, summary={}, series=series)


# roots -------------------------------------------------------------------------------------------
async def test_client_roots_are_used_when_none_are_configured(logs: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    app = bootstrap(Settings.load(cwd=tmp_path, env={}, dir=empty))

    async def roots(_: object) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=logs.as_uri(), name="logs")])

    async with Client(build_server(app), list_roots_callback=roots) as c:
        out = RunListOut.model_validate((await call_ok(c, "list_runs", {})).structured_content)
        assert "healthy" in {r.id for r in out.runs}
        assert "outside the allowed roots" in await call_error(c, "summarize_run", {"run": "/etc/passwd"})
    async with Client(build_server(app)) as c:  # a client without roots sees the discovery folder only
        assert RunListOut.model_validate((await call_ok(c, "list_runs", {})).structured_content).runs == []


async def test_configured_roots_win_over_client_roots(logs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    write_jsonl(other / "elsewhere.jsonl", [{"step": 1, "loss": 1.0}])

    async def roots(_: object) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=other.as_uri())])

    async with Client(build_server(app_for(logs, cwd=tmp_path)), list_roots_callback=roots, mode="legacy") as c:
        ids = {r.id for r in RunListOut.model_validate((await call_ok(c, "list_runs", {})).structured_content).runs}
        assert "healthy" in ids and "elsewhere" not in ids


# concurrency and the cache -------------------------------------------------------------------------
async def test_twenty_concurrent_calls(client: Client) -> None:
    calls = [
        ("summarize_run", {"run": "healthy"}),
        ("list_keys", {"run": "wide"}),
        ("get_stats", {"run": "nan-run"}),
        ("get_history", {"run": "healthy", "keys": ["train/loss"]}),
        ("list_runs", {}),
    ] * 4
    results: list[CallToolResult] = []

    async def one(tool: str, args: dict[str, Any]) -> None:
        results.append(await client.call_tool(tool, args))

    async with anyio.create_task_group() as tg:
        for tool, args in calls:
            tg.start_soon(one, tool, args)
    assert len(results) == 20 and not any(r.is_error for r in results)


@pytest.fixture(scope="module")
def big_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    write_big(root / "big.jsonl")
    return root


async def test_second_call_on_a_100k_step_run_is_fast(big_logs: Path, tmp_path: Path) -> None:
    async with Client(build_server(app_for(big_logs, cwd=tmp_path))) as c:
        started = time.perf_counter()
        first = await call_ok(c, "summarize_run", {"run": "big"})
        cold = time.perf_counter() - started
        warm = []
        for _ in range(3):
            started = time.perf_counter()
            again = await call_ok(c, "summarize_run", {"run": "big"})
            warm.append(time.perf_counter() - started)
    assert again.structured_content == first.structured_content
    assert TOKENS.count(text_of(first)) <= 400
    print(f"summarize_run on 100k steps: cold {cold * 1000:.0f} ms, warm {[round(w * 1000, 1) for w in warm]} ms")
    assert min(warm) <= 0.020, warm


async def test_a_growing_run_is_read_again(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    path = write_jsonl(root / "live.jsonl", [{"step": s, "loss": 1.0 / (s + 1)} for s in range(100)])
    async with Client(build_server(app_for(root, cwd=tmp_path))) as c:
        first = RunSummaryOut.model_validate((await call_ok(c, "summarize_run", {"run": "live"})).structured_content)
        with path.open("a") as fh:
            fh.writelines(f'{{"step": {s}, "loss": {1.0 / (s + 1)}}}\n' for s in range(100, 250))
        second = RunSummaryOut.model_validate((await call_ok(c, "summarize_run", {"run": "live"})).structured_content)
    assert (first.run.last_step, second.run.last_step) == (99, 249)


async def test_concurrent_first_calls_parse_a_run_once(big_logs: Path, tmp_path: Path) -> None:
    app = app_for(big_logs, cwd=tmp_path)
    tools = [
        ("summarize_run", {"run": "big"}),
        ("list_keys", {"run": "big"}),
        ("get_stats", {"run": "big", "keys": ["train/loss"]}),
        ("get_history", {"run": "big", "keys": ["val/loss"]}),
    ] * 5
    results: list[CallToolResult] = []
    async with Client(build_server(app)) as c:

        async def one(tool: str, args: dict[str, Any]) -> None:
            results.append(await c.call_tool(tool, args))

        async with anyio.create_task_group() as tg:
            for tool, args in tools:
                tg.start_soon(one, tool, args)
    assert len(results) == 20 and not any(r.is_error for r in results)
    assert app.catalog.cache.misses == 1  # 20 callers waited for one parse instead of parsing 20 times


async def test_list_runs_says_what_the_limit_and_filters_left_out(client: Client) -> None:
    limited = await call_ok(client, "list_runs", {"limit": 2})
    out = RunListOut.model_validate(limited.structured_content)
    assert (len(out.runs), out.total) == (2, 4)
    assert text_of(limited).endswith("+2 more runs: raise limit or token_budget, or filter by project or state")
    none = text_of(await call_ok(client, "list_runs", {"project": "nope"}))
    assert none.startswith("No runs with project='nope' under ")


async def test_repeated_keys_are_answered_once(client: Client) -> None:
    out = StatsOut.model_validate(
        (await call_ok(client, "get_stats", {"run": "healthy", "keys": ["lr", "lr", "val/loss"]})).structured_content
    )
    assert [s.key for s in out.stats] == ["lr", "val/loss"]
