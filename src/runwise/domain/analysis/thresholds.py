"""Detector thresholds: defaults that hold on real runs, each overridable by name in a metric schema.

Every threshold is relative (a ratio, a fraction of the run, a robust z-score), so results do not change when
values are scaled or steps shifted. The names below are the keys of `thresholds` in a schema file.
"""

from __future__ import annotations

import attrs

from runwise.domain.schema import MetricSchema

# name → (default, what it means); the single source for docs and for `Thresholds.from_schema`.
DEFAULTS: dict[str, tuple[float, str]] = {
    "min_points": (20, "series shorter than this get only the nan_inf check"),
    "spike_z": (6.0, "robust z-score (vs. the previous block's median/MAD) a loss point needs to be a spike"),
    "spike_tail_factor": (3.0, "and this multiple of the z of the series' own top 0.1% (at least 5th largest)"),
    "spike_min_rise": (0.25, "and a rise of at least this fraction of the local level (info)"),
    "spike_warn_rise": (
        1.0,
        "a spike this far above the local level (doubling) is a warning; half of it, if 3+ points",
    ),
    "divergence_rise": (
        0.5,
        "sustained rise above the best level so far, as a fraction of max(|best|, 10% of progress)",
    ),
    "divergence_min_fraction": (0.02, "a rise must last this fraction of the points (at least 3) unless NaN follows"),
    "overfit_min_points": (8, "validation points needed to judge overfitting"),
    "overfit_rise": (0.05, "validation worsening after its best, as a fraction of the best (losses) or of progress"),
    "overfit_warn_rise": (0.10, "validation worsening at which overfitting is a warning"),
    "plateau_min_improvement": (0.01, "relative improvement below which a stretch counts as flat"),
    "plateau_min_fraction": (0.30, "a converged plateau must cover this fraction of the run to be reported"),
    "stall_max_improvement": (0.03, "whole-run relative gain under which the loss 'stalled early' (3× if steady)"),
    "grad_explosion_factor": (10.0, "grad norm above this multiple of its trailing baseline starts an explosion"),
    "grad_explosion_critical": (100.0, "a sustained explosion reaching this multiple is critical"),
    "grad_vanishing_factor": (100.0, "grad norm below its baseline divided by this has collapsed"),
    "instability_cv": (0.30, "late-training coefficient of variation of the loss above which it may be unstable"),
    "instability_noise_ratio": (0.50, "and late noise (std) at least this fraction of the loss's total progress"),
    "throughput_drop": (0.30, "sustained throughput drop, as a fraction of the best sustained throughput"),
    "lr_window": (0.05, "a blow-up within this fraction of the run after the lr peak coincides with it"),
}


@attrs.frozen
class Thresholds:
    """The resolved thresholds for one analysis."""

    min_points: int
    spike_z: float
    spike_tail_factor: float
    spike_min_rise: float
    spike_warn_rise: float
    divergence_rise: float
    divergence_min_fraction: float
    overfit_min_points: int
    overfit_rise: float
    overfit_warn_rise: float
    plateau_min_improvement: float
    plateau_min_fraction: float
    stall_max_improvement: float
    grad_explosion_factor: float
    grad_explosion_critical: float
    grad_vanishing_factor: float
    instability_cv: float
    instability_noise_ratio: float
    throughput_drop: float
    lr_window: float

    @classmethod
    def from_schema(cls, schema: MetricSchema) -> Thresholds:
        """Schema values where given, defaults elsewhere."""
        values = {name: schema.threshold(name, default) for name, (default, _) in DEFAULTS.items()}
        values["min_points"] = int(max(3, values["min_points"]))
        values["overfit_min_points"] = int(max(3, values["overfit_min_points"]))
        return cls(**values)  # type: ignore[arg-type]
