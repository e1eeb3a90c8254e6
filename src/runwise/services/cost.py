"""Use case: what runs cost, from what they recorded about their hardware and what the user says."""

from __future__ import annotations

import re
from collections.abc import Sequence

from runwise.domain.compare.best import metric_direction
from runwise.domain.cost import Accelerators, CostEstimate, PriceTable, SweepCost, estimate, sweep
from runwise.domain.model import Run
from runwise.domain.roles import Role
from runwise.domain.schema import MetricSchema
from runwise.services.catalog import Catalog

# System metrics that name one accelerator each: MLflow `system/gpu_0_utilization_percentage`, W&B
# `system.gpu.0.gpu` / `system/gpu.0.memory`, Lightning's DeviceStatsMonitor `cuda:0/...`.
_GPU_INDEX = re.compile(r"(?:^|[/.])(?:gpu[._]?|cuda:)(\d+)(?:[._/]|$)", re.IGNORECASE)


def accelerators_of(run: Run, kind: str | None = None, count: int | None = None) -> Accelerators:
    """What the caller says wins; what it leaves out comes from what the tracker recorded, else (the count) from
    the run's per-GPU system metrics (MLflow and W&B record no GPU count of their own but log one series per GPU)."""
    recorded_kind, recorded_count = run.info.accelerator, run.info.accelerator_count
    found_kind = kind or recorded_kind
    found_count = count or recorded_count
    origin = "flags" if kind is not None or count is not None else "run metadata"
    if found_count is None:
        indices = {int(m.group(1)) for key in run.series if (m := _GPU_INDEX.search(key))}
        if indices:
            found_count = len(indices)
            origin = "per-GPU system metrics" if kind is None else "flags + per-GPU system metrics"
    if found_kind is None and found_count is None:
        return Accelerators(None, None, "nothing recorded")
    if kind is None and count is None and recorded_kind is None and recorded_count is None:
        origin = "per-GPU system metrics"
    return Accelerators(found_kind, found_count, origin)


def run_cost(
    catalog: Catalog,
    ref: str,
    table: PriceTable,
    *,
    kind: str | None = None,
    count: int | None = None,
    usd_per_hour: float | None = None,
) -> CostEstimate:
    """One run's cost so far (and its projection while it runs toward a planned length)."""
    run = catalog.load(ref).run
    return estimate(run, accelerators_of(run, kind, count), table, usd_per_hour)


def sweep_cost(
    catalog: Catalog,
    refs: Sequence[str],
    table: PriceTable,
    schema: MetricSchema,
    *,
    objective: str | None = None,
    kind: str | None = None,
    count: int | None = None,
    usd_per_hour: float | None = None,
) -> SweepCost:
    """Several runs: the total, and with an objective what each point of its improvement cost."""
    estimates: list[CostEstimate] = []
    finals: dict[str, float] = {}
    for ref in refs:
        run = catalog.load(ref).run
        estimates.append(estimate(run, accelerators_of(run, kind, count), table, usd_per_hour))
        if objective is not None and objective in run.series and len(run.series[objective]):
            finals[run.info.qualified_id] = float(run.series[objective].values[-1])
    if objective is None:
        return sweep(estimates, finals, None)
    higher, _ = metric_direction(objective, None, schema)
    fraction = schema.role(objective) in (Role.ACCURACY, Role.VAL_ACCURACY) and all(
        0 <= v <= 1 for v in finals.values()
    )
    return sweep(
        estimates, finals, objective, higher_is_better=higher, percent=schema.is_percent(objective) or fraction
    )
