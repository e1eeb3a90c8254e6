"""Every CLI command and MCP tool on MLflow runs, and the same training loop logged to JSONL and to MLflow
giving the same answers."""

from __future__ import annotations

import io
import json
import math
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcp import Client

from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp.server import build_server
from runwise.services.compare import find_best_run
from runwise.services.query import query_runs
from runwise.services.summarize import summarize
from tests import mlflow_support
from tests.e2e.logs import TOOL_NAMES


def training_loop(lr: float, *, blow_up: bool) -> list[tuple[int, dict[str, float]]]:
    """What a training script logs each step: a noisy falling loss, validation every 50 steps, the lr;
    with `blow_up`, a spike and then NaN near the end."""
    rng = np.random.default_rng(int(lr * 1e4))
    rows: list[tuple[int, dict[str, float]]] = []
    for step in range(400):
        loss = 3.0 * math.exp(-lr * 30 * step / 400) + 0.2 + 0.02 * float(rng.standard_normal())
        if blow_up and step in range(300, 306):
            loss *= 8
        if blow_up and step >= 380:
            loss = math.nan
        row = {"train/loss": loss, "lr": lr}
        if step % 50 == 0:
            row["val/loss"] = loss + 0.1
        rows.append((step, row))
    return rows


RUNS = {"lr-0.05": (0.05, False), "lr-0.1": (0.1, False), "lr-0.3": (0.3, True)}
JOB = {
    "store": "sqlite",
    "runs": [
        {"name": name, "experiment": "loop", "params": {"lr": lr}, "rows": training_loop(lr, blow_up=b)}
        for name, (lr, b) in RUNS.items()
    ],
}
mlflow_support.register(JOB)


def write_jsonl(folder: Path) -> None:
    """The same loop logged as JSON lines, with the same wall clock MLflow recorded (start + 10 ms a step)."""
    folder.mkdir()
    for order, (name, (lr, blow_up)) in enumerate(RUNS.items()):
        start = mlflow_support.BASE_TIME_MS + order * 3_600_000
        with (folder / f"{name}.jsonl").open("w") as fh:
            fh.write(json.dumps({"config": {"lr": lr}}) + "\n")
            for step, row in training_loop(lr, blow_up=blow_up):
                fh.write(json.dumps({"step": step, "timestamp": (start + step * 10) / 1000, **row}) + "\n")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base, _ = mlflow_support.cached(JOB)
    root = tmp_path_factory.mktemp("loop")
    (root / "mlflow").mkdir()
    shutil.copy(base / "mlflow.db", root / "mlflow" / "mlflow.db")
    write_jsonl(root / "jsonl")
    return {"mlflow": root / "mlflow", "jsonl": root / "jsonl"}


def _app(folder: Path) -> Any:
    return bootstrap(Settings.load(cwd=folder, env={}, dir=str(folder)))


def _ref(app: Any, name: str) -> str:
    (_, info), *_ = [pair for pair in app.catalog.list_runs() if pair[1].name == name]
    return info.qualified_id


def _facts(*values: Any) -> tuple[Any, ...]:
    return tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in values)  # NaN != NaN


def test_jsonl_and_mlflow_give_the_same_answers(folders: dict[str, Path]) -> None:
    apps = {kind: _app(folder) for kind, folder in folders.items()}
    for name in RUNS:
        summaries = {}
        for kind, app in apps.items():
            fitted = summarize(
                app.catalog,
                _ref(app, name),
                renderer=app.renderer("md"),
                counter=app.tokens,
                schema=app.schema,
                analyzer=app.analyzer,
                budget=20_000,
            )
            summaries[kind] = fitted.summary
        a, b = summaries["jsonl"], summaries["mlflow"]
        assert [_facts(m.key, m.last, m.last_step, m.best, m.best_step, m.trend) for m in a.metrics] == [
            _facts(m.key, m.last, m.last_step, m.best, m.best_step, m.trend) for m in b.metrics
        ], name
        assert [(x.kind, x.metric, x.start_step, x.end_step, x.severity) for x in a.anomalies] == [
            (x.kind, x.metric, x.start_step, x.end_step, x.severity) for x in b.anomalies
        ], name
        assert a.recommendations == b.recommendations, name
    assert any(x.kind == "nan_inf" for x in summaries["mlflow"].anomalies)
    best = {kind: find_best_run(app.catalog, "val/loss", "min", schema=app.schema) for kind, app in apps.items()}
    ranking = {kind: [(r.info.name, r.value, r.step) for r in b.ranking] for kind, b in best.items()}
    assert ranking["jsonl"] == ranking["mlflow"] and len(ranking["mlflow"]) >= 2
    assert [name for name, _ in best["jsonl"].skipped] == [name for name, _ in best["mlflow"].skipped]
    matched = {
        kind: [m.info.name for m in query_runs(app.catalog, "config.lr >= 0.1 and last(train/loss) < 1").matches]
        for kind, app in apps.items()
    }
    assert matched["jsonl"] == matched["mlflow"] == ["lr-0.3", "lr-0.1"]


COMMANDS = [
    ["list"],
    ["latest"],
    ["run", "lr-0.3"],
    ["run", "mlflow:loop/lr-0.1"],
    ["keys", "lr-0.3"],
    ["history", "lr-0.3", "-k", "train/loss"],
    ["stats", "lr-0.3", "-k", "train/loss"],
    ["anomalies", "lr-0.3"],
    ["stability", "lr-0.3", "-k", "train/loss"],
    ["health", "lr-0.3"],
    ["compare", "lr-0.05", "lr-0.3"],
    ["best", "val/loss", "--min"],
    ["query", "config.lr > 0.06"],
    ["config", "lr-0.1"],
    ["aggregate", "val/loss"],
    ["plot", "lr-0.3", "-k", "train/loss"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_every_cli_command_on_mlflow_runs(folders: dict[str, Path], argv: list[str]) -> None:
    for fmt in ("text", "json"):
        out = io.StringIO()
        code = main(["--dir", str(folders["mlflow"]), "--no-color", "--format", fmt, *argv], stdout=out)
        assert code in (0, 1), out.getvalue()
        assert out.getvalue().strip() and "Traceback" not in out.getvalue()
        if fmt == "json":
            json.loads(out.getvalue())


TOOL_ARGS: dict[str, dict[str, Any]] = {
    "list_runs": {},
    "list_keys": {"run": "lr-0.3"},
    "summarize_run": {"run": "mlflow:loop/lr-0.3"},
    "health_check": {"run": "lr-0.3"},
    "get_history": {"run": "lr-0.3", "keys": ["train/loss"]},
    "get_stats": {"run": "lr-0.3", "keys": ["train/loss"]},
    "detect_anomalies": {"run": "lr-0.3"},
    "analyze_stability": {"run": "lr-0.3", "keys": ["train/loss"]},
    "compare_runs": {"runs": ["lr-0.05", "lr-0.3"]},
    "find_best_run": {"metric": "val/loss", "direction": "min"},
    "query_runs": {"expr": "config.lr > 0.06"},
    "aggregate_runs": {"metric": "val/loss"},
    "get_config": {"run": "lr-0.1"},
    "generate_schema": {"run": "lr-0.1"},
    "plot_metrics": {"run": "lr-0.3", "keys": ["train/loss"]},
    "report_runs": {"runs": ["lr-0.05", "lr-0.3"], "token_budget": 800},
    "get_run_events": {"run": "lr-0.3"},
    "estimate_cost": {"runs": ["lr-0.05", "lr-0.3"], "gpu": "A100", "count": 2},
}


@pytest.fixture
async def client(folders: dict[str, Path], tmp_path: Path) -> AsyncIterator[Client]:
    app = bootstrap(Settings.load(cwd=tmp_path, env={}, roots=[folders["mlflow"]]))
    async with Client(build_server(app), raise_exceptions=True) as c:
        yield c


@pytest.mark.anyio
async def test_every_mcp_tool_on_mlflow_runs(client: Client) -> None:
    assert sorted(TOOL_ARGS) == sorted(TOOL_NAMES)
    for tool, args in TOOL_ARGS.items():
        result = await client.call_tool(tool, args)
        text = getattr(result.content[0], "text", "")
        assert not result.is_error, f"{tool}: {text}"
        assert result.structured_content or tool == "plot_metrics", tool  # a picture, not structured data
    listed = (await client.call_tool("list_runs", {})).structured_content
    assert listed is not None and {r["name"] for r in listed["runs"]} == set(RUNS)
