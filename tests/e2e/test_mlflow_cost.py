"""`runwise cost` on MLflow runs: the GPU count comes from the run's per-GPU system metrics.

MLflow's system-metrics logger writes `system/gpu_N_*` keys (utilization, memory, power) for each GPU it sees,
sampled through NVML. There is no GPU (and no NVML) on this machine, so its sampler cannot run here: the test
logs those exact keys with the real `mlflow` client instead, as the sampler would, and checks the figures by hand.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest

from runwise.entrypoints.cli.main import main
from tests.frameworks.staged_writer import StagedWriter

START_MS = 1_767_225_600_000
HOURS = 2.5


def _gpu_rows(gpus: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for step in range(6):
        row: dict[str, float] = {"val/loss": 1.0 / (step + 1)}
        for gpu in range(gpus):
            row[f"system/gpu_{gpu}_utilization_percentage"] = 90.0 + gpu
            row[f"system/gpu_{gpu}_memory_usage_megabytes"] = 30_000.0
            row[f"system/gpu_{gpu}_power_usage_watts"] = 250.0
        rows.append([step, row])
    return rows


def test_cost_counts_the_gpus_in_mlflow_system_metrics(staged_writer: StagedWriter, tmp_path: Path) -> None:
    uri = staged_writer.sqlite_store(tmp_path / "mlflow.db")
    end = START_MS + int(HOURS * 3_600_000)
    staged_writer.send({"op": "mlflow", "uri": uri, "name": "four-gpus", "rows": _gpu_rows(4), "start_ms": START_MS,
                        "status": "FINISHED", "end_ms": end})  # fmt: skip
    out = StringIO()
    assert (
        main(["--dir", str(tmp_path), "--format", "json", "cost", "four-gpus", "--gpu", "A100 80GB"], stdout=out) == 0
    )
    run = json.loads(out.getvalue())["runs"][0]
    assert run["runtime_s"] == pytest.approx(HOURS * 3600)  # start and end times as the client recorded them
    assert run["count"] == 4 and run["origin"] == "flags + per-GPU system metrics"
    assert run["cost_usd"] == pytest.approx(HOURS * 4 * run["usd_per_hour"])

    out = StringIO()
    assert main(["--dir", str(tmp_path), "cost", "four-gpus", "--price", "2"], stdout=out) == 0
    assert "$20.00" in out.getvalue()  # 2.5 h × 4 GPUs × $2 by hand
