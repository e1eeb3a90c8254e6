"""Aim and every form of Neptune data end to end: one training loop logged to JSONL and to each of them gives
identical summaries, anomalies and best-run answers, and every CLI command and MCP tool works on them.

The loop: two runs (lr 0.1 diverges to NaN at step 250, lr 0.01 converges), `train/loss` and
`train/acc` every step, `val/loss` every 10 steps, a loss spike at step 120. Each tracker is written
by its real library (aim.Run, neptune.init_run offline, neptune-scale offline) or, for
neptune-exporter whose source service is gone, by pyarrow in the exporter's schema.
"""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli import main
from runwise.entrypoints.mcp.server import build_server
from tests import neptune_writers
from tests.contract.seeders import aim as aim_seeder
from tests.contract.spec import RunSpec, SeriesSpec

STEPS = 300


def _loop(name: str, lr: float) -> RunSpec:
    steps = tuple(range(STEPS))
    loss, acc = [], []
    for s in steps:
        value = 3.0 * math.exp(-s / (60 if lr < 0.05 else 40)) + 0.2 + 0.01 * math.sin(s)
        if s == 120:
            value *= 6  # a spike
        if lr > 0.05 and s >= 250:
            value = float("nan")  # diverged
        loss.append(value)
        acc.append(min(0.99, s / STEPS) * (1.0 if lr < 0.05 else 0.9))
    val_steps = tuple(range(0, STEPS, 10))
    val = [float("nan") if lr > 0.05 and s >= 250 else 2.5 * math.exp(-s / 90) + 0.3 for s in val_steps]
    return RunSpec(
        name=name,
        config={"lr": lr, "batch_size": 32},
        series={
            "train/loss": SeriesSpec(steps, tuple(loss)),
            "train/acc": SeriesSpec(steps, tuple(acc)),
            "val/loss": SeriesSpec(val_steps, tuple(val)),
        },
    )


LOOP = [_loop("loop-diverges", 0.1), _loop("loop-converges", 0.01)]
AIM_JOB = aim_seeder.job_of(LOOP)
OFFLINE_JOB = neptune_writers.job_of("offline", LOOP)
SCALE_JOB = neptune_writers.job_of("scale", LOOP)
aim_seeder.SESSION_JOBS.append(AIM_JOB)
neptune_writers.SESSION_JOBS.extend([OFFLINE_JOB, SCALE_JOB])
FORMS = ["jsonl", "aim", "neptune-offline", "neptune-scale", "neptune-export"]


def _write_jsonl(root: Path) -> dict[str, str]:
    for spec in LOOP:
        with (root / f"{spec.name}.jsonl").open("w") as fh:
            fh.write(json.dumps({"config": dict(spec.config)}) + "\n")
            for step, row in neptune_writers.rows_of(spec):
                fh.write(json.dumps({"step": step, **row}) + "\n")
    return {spec.name: spec.name for spec in LOOP}


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, str]]]:
    """Each form's folder and its run ids by loop name (each form in a folder of its own)."""
    out = {}
    for form in FORMS:
        root = tmp_path_factory.mktemp(form)
        if form == "jsonl":
            ids = _write_jsonl(root)
        elif form == "aim":
            folder, ids = aim_seeder.cached_repo(AIM_JOB)
            shutil.copytree(folder / ".aim", root / ".aim")
        elif form == "neptune-export":
            ids = {}
            for order, spec in enumerate(LOOP):
                run_id = f"LOOP-{order + 1}"
                neptune_writers.write_export(
                    root / "export", run_id, spec.name, neptune_writers.rows_of(spec), spec.config
                )
                ids[spec.name] = run_id
        else:
            _, ids = neptune_writers.copy_written(OFFLINE_JOB if form == "neptune-offline" else SCALE_JOB, root)
        out[form] = (root, ids)
    return out


def _cli(root: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(root), "--no-color", "--no-cache", *argv], stdout=out), out.getvalue()


def _json(root: Path, *argv: str) -> Any:
    code, text = _cli(root, "--format", "json", *argv)
    assert code in (0, 1), text
    return json.loads(text)


def _comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on the tracker: metrics, anomalies, advice (the run's identity and clock may)."""
    return {k: summary[k] for k in ("metrics", "anomalies", "recommendations")}


@pytest.mark.parametrize("form", FORMS[1:])
def test_same_loop_same_summaries_anomalies_and_best_run(
    roots: dict[str, tuple[Path, dict[str, str]]], form: str
) -> None:
    jsonl_root, jsonl_ids = roots["jsonl"]
    root, ids = roots[form]
    for spec in LOOP:
        # a budget that fits everything: the run's identity (longer ids, a project) must not crowd out facts
        expected = _comparable(_json(jsonl_root, "--budget", "4000", "run", jsonl_ids[spec.name]))
        got = _comparable(_json(root, "--budget", "4000", "run", ids[spec.name]))
        assert got == expected, (form, spec.name)
        assert (
            _json(root, "--budget", "4000", "anomalies", ids[spec.name])["anomalies"]
            == _json(jsonl_root, "--budget", "4000", "anomalies", jsonl_ids[spec.name])["anomalies"]
        )
    for metric in ("val/loss", "train/acc"):
        best = _json(root, "best", metric)["best"]["run"]["id"]
        reference = _json(jsonl_root, "best", metric)["best"]["run"]["id"]
        assert {v: k for k, v in ids.items()}[best] == {v: k for k, v in jsonl_ids.items()}[reference], metric


@pytest.mark.parametrize("form", FORMS[1:])
def test_every_cli_command_works(roots: dict[str, tuple[Path, dict[str, str]]], form: str, tmp_path: Path) -> None:
    root, ids = roots[form]
    a, b = ids["loop-diverges"], ids["loop-converges"]
    commands = [
        ["list"], ["latest"], ["run", a], ["run", f"{a}@100"], ["keys", a], ["history", a, "-k", "train/loss"],
        ["stats", a, "-k", "train/loss"], ["config", a], ["anomalies", a],
        ["stability", a, "-k", "train/loss"], ["health", a], ["compare", a, b], ["best", "val/loss"],
        ["query", "config.lr < 0.05"], ["aggregate", "val/loss"], ["plot", a, "-k", "train/loss"],
        ["report", a, "-o", str(tmp_path / "r.html")], ["init", "--from-run", a, "-o", str(tmp_path / "s.toml")],
    ]  # fmt: skip
    for argv in commands:
        code, text = _cli(root, *argv)
        assert code in (0, 1) and text.strip(), (form, argv, text)
    code, text = _cli(root, "run", f"neptune:{a}" if form.startswith("neptune") else f"aim:{a}")
    assert (code == 0 and "loop-diverges" in text) or a in text
    code, text = _cli(root, "--format", "json", "health", a)
    assert json.loads(text)["status"] == "critical"  # the NaN divergence is found in every form


TOOL_ARGS: dict[str, dict[str, Any]] = {
    "list_runs": {},
    "list_keys": {"run": "A"},
    "summarize_run": {"run": "A"},
    "health_check": {"run": "A"},
    "get_history": {"run": "A", "keys": ["train/loss"]},
    "get_stats": {"run": "A", "keys": ["train/loss"]},
    "get_config": {"run": "A"},
    "detect_anomalies": {"run": "A"},
    "analyze_stability": {"run": "A", "keys": ["train/loss"]},
    "compare_runs": {"runs": ["A", "B"]},
    "find_best_run": {"metric": "val/loss"},
    "query_runs": {"expr": "config.lr < 0.05"},
    "generate_schema": {"run": "A"},
    "aggregate_runs": {"metric": "val/loss"},
    "plot_metrics": {"run": "A", "keys": ["train/loss"]},
    "report_runs": {"runs": ["A", "B"], "token_budget": 800},
    "get_run_events": {"run": "A"},
    "estimate_cost": {"runs": ["A", "B"], "gpu": "A100", "count": 2},
}


@pytest.mark.anyio
@pytest.mark.parametrize("form", ["aim", "neptune-offline", "neptune-scale", "neptune-export"])
async def test_every_mcp_tool_works(roots: dict[str, tuple[Path, dict[str, str]]], form: str) -> None:
    root, ids = roots[form]
    app = bootstrap(Settings.load(cwd=root, env={}, roots=[root]))
    refs = {"A": ids["loop-diverges"], "B": ids["loop-converges"]}

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(v) for v in value]
        return refs.get(value, value) if isinstance(value, str) else value

    async with Client(build_server(app), raise_exceptions=True) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        unknown = [t for t in tools if t not in TOOL_ARGS and not t.startswith("get_run_events")]
        assert not unknown, f"add arguments for the new tools: {unknown}"
        for tool in tools:
            if tool not in TOOL_ARGS:
                continue
            args = {k: fill(v) for k, v in TOOL_ARGS[tool].items()}
            result = await client.call_tool(tool, args)
            assert not result.is_error, (form, tool, result.content)
