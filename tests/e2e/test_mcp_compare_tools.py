"""compare_runs, find_best_run and query_runs through the in-memory Client, on the example runs.

baseline (lr 0.05, 2000 samples) is healthy, small-data (96 samples) overfits, lr-too-high (lr 6) diverges to NaN.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.mcp.server import build_server
from runwise.entrypoints.structured.compare import BestRunOut, ComparisonOut, QueryResultOut
from tests.e2e.clients import call_error, call_ok, text_of
from tests.e2e.logs import app_for, make_outside, wide_rows, write_jsonl

pytestmark = pytest.mark.anyio
TOKENS = EstimatingTokenCounter()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"
RUNS = {"baseline", "small-data", "lr-too-high"}


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    shutil.copytree(EXAMPLES, root)
    make_outside(tmp_path, root)
    return root


@pytest.fixture
async def client(logs: Path, tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(build_server(app_for(logs, cwd=tmp_path)), raise_exceptions=True) as c:
        yield c


# compare_runs ------------------------------------------------------------------------------------
async def test_two_runs_with_verdicts_within_500_tokens(client: Client) -> None:
    result = await call_ok(client, "compare_runs", {"runs": ["baseline", "small-data"]})
    out = ComparisonOut.model_validate(result.structured_content)
    assert [r.id for r in out.runs] == ["baseline", "small-data"] and out.requested_steps == [None, None]
    keys = {k.key: k for k in out.keys}
    assert keys["val/loss"].verdicts == [None, "worse"] and keys["val/loss"].best_run == 0
    assert keys["train/loss"].verdicts == [None, "better"] and keys["val/acc"].verdicts[1] == "worse"
    assert keys["val/loss"].values[1].value == pytest.approx(0.6832, abs=1e-4)
    text = text_of(result)
    assert out.tokens == TOKENS.count(text) <= 500
    assert text.startswith("compare **baseline** vs **small-data**") and "| val/loss | 0.2792 | 0.6832 |" in text


async def test_filter_threshold_config_diff_and_a_step(client: Client) -> None:
    args = {"runs": ["baseline", "lr-too-high", "small-data@1000"], "key_filter": ["val/"], "config_diff": True}
    out = ComparisonOut.model_validate((await call_ok(client, "compare_runs", args)).structured_content)
    assert {k.key for k in out.keys} == {"val/loss", "val/acc"}
    assert out.requested_steps == [None, None, 1000] and out.keys[0].values[2].step == 1000
    diff = {d.key: d.values for d in out.config_differences or []}
    assert diff["lr"] == [0.05, 6.0, 0.02] and diff["train_size"] == [2000, 2000, 96]
    big = await call_ok(client, "compare_runs", {"runs": ["baseline", "small-data"], "threshold_pct": 50})
    assert all(abs(k.pct_change[1]) >= 50 for k in ComparisonOut.model_validate(big.structured_content).keys)  # type: ignore[arg-type]


async def test_a_wide_comparison_is_cut_to_the_budget_and_the_model_matches(tmp_path: Path) -> None:
    root = tmp_path / "wide"
    write_jsonl(root / "wide-a.jsonl", wide_rows())
    scaled = [{k: v if k == "step" else float(str(v)) * 1.5 for k, v in row.items()} for row in wide_rows()]
    write_jsonl(root / "wide-b.jsonl", scaled)
    async with Client(build_server(app_for(root, cwd=tmp_path))) as c:
        result = await call_ok(c, "compare_runs", {"runs": ["wide-a", "wide-b"]})
        small = await call_ok(c, "compare_runs", {"runs": ["wide-a", "wide-b"], "token_budget": 200})
    out = ComparisonOut.model_validate(result.structured_content)
    text = text_of(result)
    assert out.total_keys == 50 and 3 <= len(out.keys) < 50
    assert out.tokens == TOKENS.count(text) <= 500
    assert re.search(r"\n\+\d+ more keys: narrow with key_filter or threshold_pct$", text)
    assert text.count("\n| ") == len(out.keys) + 1  # the model holds exactly the rows the text shows
    assert TOKENS.count(text_of(small)) <= 200


# find_best_run -----------------------------------------------------------------------------------
async def test_best_run_with_the_direction_from_the_role(client: Client) -> None:
    result = await call_ok(client, "find_best_run", {"metric": "val/acc"})
    out = BestRunOut.model_validate(result.structured_content)
    assert (out.best.run.name, out.higher_is_better, out.direction_inferred) == ("baseline", True, True)
    assert [r.run.name for r in out.ranking] == ["baseline", "small-data", "lr-too-high"]
    assert text_of(result).startswith("best val/acc (higher is better, last value): **baseline** = 0.895")
    assert TOKENS.count(text_of(result)) <= 400


async def test_best_run_by_best_value_among_matching_runs(client: Client) -> None:
    args = {"metric": "val/loss", "mode": "best", "where": "config.train_size < 1000"}
    out = BestRunOut.model_validate((await call_ok(client, "find_best_run", args)).structured_content)
    assert out.mode == "best" and [r.run.name for r in out.ranking] == ["small-data"]
    assert (out.best.step, round(out.best.value, 4)) == (150, 0.4844)  # type: ignore[arg-type]
    lowest = await call_ok(client, "find_best_run", {"metric": "grad_norm", "direction": "min"})
    out = BestRunOut.model_validate(lowest.structured_content)
    assert out.best.run.name == "small-data" and not out.direction_inferred
    # grad_norm ends in NaN in lr-too-high: no last value to rank by, so it is skipped, and says why
    assert "lr-too-high" not in [r.run.name for r in out.ranking]
    assert "lr-too-high: ends in NaN at step 693" in out.skipped


async def test_best_run_without_direction_speaks_mcp(client: Client) -> None:
    message = await call_error(client, "find_best_run", {"metric": "lr"})
    assert "pass direction='max' or direction='min'" in message and "--max" not in message


async def test_grouped_comparison_has_a_header_per_group(client: Client) -> None:
    args = {"runs": ["baseline", "lr-too-high", "small-data"], "group": True}
    result = await call_ok(client, "compare_runs", args)
    text = text_of(result)
    assert "| **train/** |" in text and "| **val/** |" in text
    val_loss = next(line for line in text.splitlines() if line.startswith("| val/loss |"))
    assert val_loss.endswith("| baseline |")  # the best column names the run


# query_runs --------------------------------------------------------------------------------------
async def test_query_matches_sorted_and_limited(client: Client) -> None:
    result = await call_ok(client, "query_runs", {"expr": "val/loss < 1", "sort": "-val/loss"})
    out = QueryResultOut.model_validate(result.structured_content)
    assert (out.matched, out.scanned) == (2, 3)
    assert [m.run.name for m in out.matches] == ["small-data", "baseline"]
    assert out.matches[1].values["val/loss"] == pytest.approx(0.2792, abs=1e-4)
    assert "query 'val/loss < 1': 2 of 3 runs match" in text_of(result)
    one = QueryResultOut.model_validate(
        (
            await call_ok(client, "query_runs", {"expr": "val/loss < 1", "sort": "val/loss", "limit": 1})
        ).structured_content
    )
    assert (one.matched, [m.run.name for m in one.matches]) == (2, ["baseline"])


async def test_query_on_config_and_unknown_keys(client: Client) -> None:
    out = QueryResultOut.model_validate(
        (await call_ok(client, "query_runs", {"expr": 'config.lr > 1 and name == "lr-too-high"'})).structured_content
    )
    assert [m.run.name for m in out.matches] == ["lr-too-high"]
    typo = await call_ok(client, "query_runs", {"expr": "val/acx > 0.5"})
    assert QueryResultOut.model_validate(typo.structured_content).unknown_metrics == ["val/acx"]
    assert "no run logs: val/acx (check the key names: list_keys)" in text_of(typo)


async def test_many_matches_are_cut_to_the_budget(tmp_path: Path) -> None:
    root = tmp_path / "sweep"
    for i in range(40):
        write_jsonl(root / f"sweep-{i:02d}.jsonl", [{"step": s, "loss": 1 / (s + 1 + i)} for s in range(30)])
    async with Client(build_server(app_for(root, cwd=tmp_path))) as c:
        result = await call_ok(c, "query_runs", {"expr": "loss < 1", "limit": 40, "token_budget": 200})
    out = QueryResultOut.model_validate(result.structured_content)
    text = text_of(result)
    assert out.matched == 40 and 0 < len(out.matches) < 40  # the structured output holds the rows the text shows
    assert all(f"| jsonl:{m.run.id} |" in text for m in out.matches)
    assert TOKENS.count(text) <= 200 and "more matches: raise limit or token_budget, or narrow expr" in text
    assert text.startswith("query 'loss < 1': 40 of 40 runs match")


# errors ------------------------------------------------------------------------------------------
async def test_a_bad_query_keeps_its_position(client: Client) -> None:
    message = await call_error(client, "query_runs", {"expr": "val/loss >> 1"})
    assert "query error at column 11: expected a value, found '>'" in message
    assert message.endswith("(at «»: val/loss >«>» 1)")
    unclosed = await call_error(client, "query_runs", {"expr": "(val/loss < 1"})
    assert "column 14" in unclosed and unclosed.endswith("(val/loss < 1«»)")
    sort = await call_error(client, "query_runs", {"expr": "val/loss < 1", "sort": "val/loss <"})
    assert "query error at column 10: in sort: expected an operator" in sort and sort.endswith("(at «»: val/loss «<»)")


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        (
            "compare_runs",
            {"runs": ["baseline"]},
            "Invalid argument 'runs' for compare_runs: list should have at least 2",
        ),
        ("compare_runs", {"runs": ["baseline", "no-such-run"]}, "no run matches 'no-such-run'"),
        ("compare_runs", {"runs": ["baseline", "/etc/passwd"]}, "outside the allowed roots"),
        ("compare_runs", {"runs": ["baseline", "LINK"]}, "outside the allowed roots"),
        ("compare_runs", {"runs": ["baseline", "small-data"], "threshold_pct": -1}, "Invalid argument 'threshold_pct'"),
        ("find_best_run", {"metric": "val/acx"}, "no run logs 'val/acx' — did you mean val/acc"),
        ("find_best_run", {"metric": "val/acc", "direction": "up"}, "Invalid argument 'direction'"),
        ("find_best_run", {"metric": "val/acc", "where": "config.lr > 100"}, "no runs match 'config.lr > 100'"),
        ("find_best_run", {"metric": "lr"}, "pass direction='max' or direction='min'"),
        ("query_runs", {"expr": ""}, "Invalid argument 'expr'"),
        ("query_runs", {"expr": "val/loss < 1", "limit": 0}, "Invalid argument 'limit'"),
    ],
)
async def test_bad_calls_are_one_line_tool_errors(
    client: Client, logs: Path, tool: str, args: dict[str, Any], expected: str
) -> None:
    args = {k: [r.replace("LINK", str(logs / "link.jsonl")) for r in v] if k == "runs" else v for k, v in args.items()}
    assert expected in await call_error(client, tool, args)
    out = ComparisonOut.model_validate(
        (await call_ok(client, "compare_runs", {"runs": ["baseline", "small-data"]})).structured_content
    )
    assert {r.name for r in out.runs} < RUNS  # still serving


async def test_runs_outside_the_roots_are_never_ranked_or_matched(client: Client) -> None:
    best = BestRunOut.model_validate(
        (await call_ok(client, "find_best_run", {"metric": "train/loss"})).structured_content
    )
    assert {r.run.name for r in best.ranking} | {s.split(":")[0] for s in best.skipped} <= RUNS
    found = QueryResultOut.model_validate(
        (await call_ok(client, "query_runs", {"expr": "steps > 0"})).structured_content
    )
    assert {m.run.name for m in found.matches} == RUNS and found.scanned == 3
