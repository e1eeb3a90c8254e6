"""Cost: runtime × accelerators × price, checked by hand against runs written by the real wandb package."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np
import pytest

from runwise.adapters.prices import price_table
from runwise.adapters.sources.wandb_local import WandbLocalRunSource
from runwise.domain.cost import Accelerators, estimate, sweep, throughput
from runwise.domain.errors import InvalidInput
from runwise.domain.model import MetricSeries, Run, RunInfo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "wandb"


@pytest.fixture(scope="module")
def wandb_run() -> Run:
    source = WandbLocalRunSource(EXAMPLES)
    return source.load_run(source.list_runs()[0].id)


def test_names_as_tools_report_them_find_their_price() -> None:
    table = price_table()
    assert table.lookup("NVIDIA A100-SXM4-80GB") == ("A100 80GB", 1.79)
    assert table.lookup("NVIDIA A100-SXM4-40GB") == ("A100", 1.49)
    assert table.lookup("Tesla T4") == ("T4", 0.53)
    assert table.lookup("NVIDIA H100 80GB HBM3") == ("H100", 2.99)
    assert table.lookup("NVIDIA GeForce RTX 4090") == ("RTX 4090", 0.69)
    assert table.lookup("Intel Gaudi") is None


def test_cost_of_a_real_wandb_run_checked_by_hand(wandb_run: Run) -> None:
    runtime = wandb_run.info.runtime_s
    assert runtime is not None and runtime > 0
    got = estimate(wandb_run, Accelerators("NVIDIA H100 80GB HBM3", 8, "flags"), price_table())
    assert got.price_name == "H100" and got.usd_per_hour == 2.99
    assert got.cost_usd == pytest.approx(runtime / 3600 * 8 * 2.99)
    assert got.projected_usd is None  # a finished run projects nothing


def test_a_given_price_beats_the_table(wandb_run: Run) -> None:
    got = estimate(wandb_run, Accelerators("H100", 2, "flags"), price_table(), usd_per_hour=1.0)
    assert got.cost_usd == pytest.approx(wandb_run.info.runtime_s / 3600 * 2 * 1.0)  # type: ignore[operator]


def test_config_overrides_replace_and_add_prices() -> None:
    table = price_table({"H100": 1.99, "Gaudi 3": 2.5})
    assert table.lookup("NVIDIA H100 PCIe") == ("H100", 1.99)
    assert table.lookup("Intel Gaudi 3") == ("Gaudi 3", 2.5)
    with pytest.raises(InvalidInput, match="must be a number"):
        price_table({"H100": "cheap"})  # type: ignore[dict-item]


def test_unknown_accelerator_or_none_recorded_says_what_to_give(wandb_run: Run) -> None:
    with pytest.raises(InvalidInput, match="no price for accelerator 'Gaudi'"):
        estimate(wandb_run, Accelerators("Gaudi", 1, "flags"), price_table())
    with pytest.raises(InvalidInput, match="records no accelerator"):
        estimate(wandb_run, Accelerators(None, None, "run metadata"), price_table())


def _running(last: int, seconds: float, planned: int) -> Run:
    steps = np.arange(0, last + 1, 10)
    wall = 1000.0 + steps * (seconds / last)
    series = {"loss": MetricSeries("loss", steps, np.ones(steps.size), wall)}
    info = RunInfo(id="r", name="r", source="jsonl", state="running", runtime_s=seconds, last_step=last)
    return Run(info=info, config={"trainer": {"max_steps": planned}}, series=series)


def test_a_running_run_projects_time_and_cost_to_its_planned_length() -> None:
    run = _running(last=1000, seconds=3600.0, planned=4000)
    assert throughput(run) == pytest.approx(1000 / 3600)
    got = estimate(run, Accelerators("A100", 4, "flags"), price_table())
    assert got.cost_usd == pytest.approx(1 * 4 * 1.49)
    assert got.remaining_s == pytest.approx(3 * 3600)
    assert got.projected_usd == pytest.approx(4 * 4 * 1.49)


def test_sweep_total_and_cost_per_point_of_improvement() -> None:
    runs = [_running(1000, 3600.0, 1000), _running(1000, 7200.0, 1000)]
    runs = [attrs.evolve(r, info=attrs.evolve(r.info, id=f"r{i}", state="finished")) for i, r in enumerate(runs)]
    estimates = [estimate(r, Accelerators("T4", 1, "flags"), price_table()) for r in runs]
    got = sweep(estimates, {"r0": 0.80, "r1": 0.85}, "val/acc", higher_is_better=True, percent=True)
    assert got.total_usd == pytest.approx(3 * 0.53)
    assert got.best == 0.85 and got.worst == 0.80
    assert got.usd_per_point == pytest.approx(3 * 0.53 / 5)
    assert got.point == "percentage point"
    lower = sweep(estimates, {"r0": 0.5, "r1": 0.3}, "val/loss", higher_is_better=False)
    assert lower.best == 0.3 and lower.usd_per_point == pytest.approx(3 * 0.53 / 0.2)
