"""What a run cost and will cost: runtime × accelerators × price, and for a running run, the projection to its
planned last step at the throughput it shows. For a sweep: the total, and what each point of improvement of the
objective cost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import attrs
import numpy as np

from runwise.domain.analysis.facts import planned_steps
from runwise.domain.errors import InvalidInput
from runwise.domain.model import Run, RunInfo
from runwise.domain.shared_repr import fields_repr

_TOKEN = re.compile(r"[a-z0-9]+")
_NOISE = {"nvidia", "tesla", "geforce", "rtx", "sxm", "sxm4", "sxm5", "pcie", "nvl", "gb", "amd", "instinct"}


@attrs.frozen
class Accelerators:
    """Which accelerators a run used and how many, and where that came from."""

    __repr__ = fields_repr

    kind: str | None
    count: int | None
    origin: str  # "run metadata", "flags", "config file"


@attrs.frozen
class PriceTable:
    """USD per accelerator-hour by accelerator name; dated, because prices move."""

    __repr__ = fields_repr

    prices: Mapping[str, float]
    as_of: str
    basis: str

    def lookup(self, kind: str) -> tuple[str, float] | None:
        """The table entry for an accelerator name as a tool reports it ("NVIDIA A100-SXM4-80GB" → "A100 80GB")."""
        wanted = _tokens(kind)
        if not wanted:
            return None
        best: tuple[int, str, float] | None = None
        for name, price in self.prices.items():
            have = _tokens(name)
            if have and have <= wanted:
                score = len(have)
                if best is None or score > best[0]:
                    best = (score, name, price)
        return None if best is None else (best[1], best[2])


def _tokens(name: str) -> frozenset[str]:
    return frozenset(t for t in _TOKEN.findall(name.lower()) if t not in _NOISE)


@attrs.frozen
class CostEstimate:
    """One run's cost so far and, while it runs toward a planned length, the projection."""

    __repr__ = fields_repr

    run: RunInfo
    accelerators: Accelerators
    price_name: str
    usd_per_hour: float  # per accelerator
    runtime_s: float
    cost_usd: float
    steps_per_s: float | None = None
    last_step: int | None = None
    planned_step: int | None = None
    remaining_s: float | None = None
    projected_usd: float | None = None  # total at the planned last step


def throughput(run: Run) -> float | None:
    """Steps per second over the run's logged wall times (the series with the most points), else last step over
    runtime."""
    timed = [s for s in run.series.values() if s.wall_time is not None and len(s) >= 2]
    if timed:
        longest = max(timed, key=len)
        wall = longest.wall_time
        assert wall is not None
        ok = np.isfinite(wall)
        if ok.sum() >= 2:
            steps, times = longest.steps[ok], wall[ok]
            span = float(times[-1] - times[0])
            if span > 0:
                return float(steps[-1] - steps[0]) / span
    if run.info.runtime_s and run.info.last_step:
        return run.info.last_step / run.info.runtime_s
    return None


def estimate(
    run: Run, accelerators: Accelerators, table: PriceTable, usd_per_hour: float | None = None
) -> CostEstimate:
    """Cost of one run. A price given by the caller beats the table; an accelerator the table lacks is an error
    that says how to give its price."""
    if accelerators.kind is None and usd_per_hour is None:
        raise InvalidInput(
            f"run '{run.info.name}' records no accelerator",
            "give the accelerator type and count, or a price per accelerator-hour",
        )
    if usd_per_hour is not None:
        name, price = accelerators.kind or "given price", usd_per_hour
    else:
        assert accelerators.kind is not None
        found = table.lookup(accelerators.kind)
        if found is None:
            known = ", ".join(sorted(table.prices))
            raise InvalidInput(
                f"no price for accelerator '{accelerators.kind}' (known: {known})",
                "give a price per accelerator-hour, or add it to the price table in the config file",
            )
        name, price = found
    runtime = run.info.runtime_s if run.info.runtime_s is not None else _wall_span(run)
    if runtime is None:
        raise InvalidInput(f"run '{run.info.name}' records no runtime", "cost needs the run's wall-clock time")
    count = accelerators.count or 1
    cost = float(runtime) / 3600 * count * price
    rate = throughput(run)
    last = run.info.last_step
    planned = planned_steps(run.config)
    remaining = projected = None
    if run.info.state == "running" and planned and last is not None and rate and planned > last:
        remaining = (planned - last) / rate
        projected = cost + remaining / 3600 * count * price
    return CostEstimate(
        run=run.info,
        accelerators=attrs.evolve(accelerators, count=count),
        price_name=name,
        usd_per_hour=price,
        runtime_s=float(runtime),
        cost_usd=cost,
        steps_per_s=rate,
        last_step=last,
        planned_step=planned,
        remaining_s=remaining,
        projected_usd=projected,
    )


def _wall_span(run: Run) -> float | None:
    """First to last logged wall time over every series, when the source records no runtime."""
    lows, highs = [], []
    for series in run.series.values():
        wall = series.wall_time
        if wall is not None and wall.size:
            finite = wall[np.isfinite(wall)]
            if finite.size:
                lows.append(float(finite.min()))
                highs.append(float(finite.max()))
    return max(highs) - min(lows) if lows else None


@attrs.frozen
class SweepCost:
    """Several runs: the total, and the cost of each point the objective improved from the worst run to the best."""

    __repr__ = fields_repr

    runs: tuple[CostEstimate, ...]
    total_usd: float
    objective: str | None = None
    best: float | None = None
    worst: float | None = None
    usd_per_point: float | None = None
    point: str = "unit"  # "percentage point" for fractions shown as percents


def sweep(
    estimates: Sequence[CostEstimate],
    finals: Mapping[str, float],
    objective: str | None,
    *,
    higher_is_better: bool = True,
    percent: bool = False,
) -> SweepCost:
    """Total cost of a sweep; with an objective, what one point of its improvement (best vs worst run) cost."""
    total = sum(e.cost_usd for e in estimates)
    values = [v for v in finals.values() if math.isfinite(v)]
    if objective is None or len(values) < 2:
        return SweepCost(tuple(estimates), total, objective)
    best, worst = (max(values), min(values)) if higher_is_better else (min(values), max(values))
    spread = abs(best - worst) * (100 if percent else 1)
    per_point = total / spread if spread > 0 else None
    return SweepCost(
        tuple(estimates), total, objective, best, worst, per_point, "percentage point" if percent else "unit"
    )
