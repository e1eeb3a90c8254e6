"""The analysis corpus: tiny models really trained on digits (about 2 s for all of it).

Each problem case carries its true step, defined from the training trace itself (first NaN, the step from which
the loss stayed far above its best, the validation minimum, the corrupted batches, the first gradient norm 100×
its pre-jump median), never from the detectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from runwise.domain.model import Run
from tests.unit.analysis.trainer import (
    Config,
    Trace,
    constant,
    linear_decay,
    step_decay,
    to_run,
    train,
    warmup_cosine,
)

STEPS = 1000


@dataclass
class Case:
    """One trained run and the facts known from its training."""

    run: Run
    trace: Trace
    truth: dict[str, list[int]] = field(default_factory=dict)  # kind -> true onset steps

    @property
    def length(self) -> int:
        return max(self.trace.steps) - min(self.trace.steps)


def _first_nan(trace: Trace) -> int:
    loss = np.asarray(trace.loss)
    return trace.steps[int(np.flatnonzero(~np.isfinite(loss))[0])]


def _stays_far_above_best(trace: Trace, factor: float = 2.0) -> int:
    """First step from which the loss stays above `factor` × its best so far (10-step median) until NaN or the end."""
    loss = np.asarray(trace.loss)
    bad = np.flatnonzero(~np.isfinite(loss))
    end = int(bad[0]) if bad.size else loss.size
    smooth = np.array([np.median(loss[max(0, i - 9) : i + 1]) for i in range(end)])
    best = np.minimum.accumulate(smooth)
    high = loss[:end] > factor * best
    calm = np.flatnonzero(~high)
    return trace.steps[int(calm[-1]) + 1]


def _jump_schedule(base: Callable[[int], float], at: int, value: float) -> Callable[[int], float]:
    return lambda i: base(i) if i < at else value


def _healthy_configs() -> list[Config]:
    out = [Config("warmup-cosine-2", STEPS, warmup_cosine(0.1, 100, STEPS), weight_decay=1e-3, seed=2)]
    for seed in range(2):
        out += [
            Config(f"warmup-cosine-{seed}", STEPS, warmup_cosine(0.1, 100, STEPS), weight_decay=1e-3, seed=seed),
            Config(f"constant-{seed}", STEPS, constant(0.05), weight_decay=1e-3, seed=seed),
            Config(f"step-decay-{seed}", STEPS, step_decay(0.1, 350), weight_decay=1e-3, seed=seed),
            Config(f"linear-{seed}", STEPS, linear_decay(0.1, STEPS, 50), weight_decay=1e-3, seed=seed),
            Config(f"softmax-{seed}", STEPS, warmup_cosine(0.5, 100, STEPS), hidden=0, seed=seed),
        ]
    out += [
        Config("big-batch-resumed", 600, warmup_cosine(0.2, 50, 600), batch=128, first_step=120_000, seed=7),
        Config("sparse-eval", STEPS, warmup_cosine(0.1, 100, STEPS), weight_decay=1e-3, eval_every=100, seed=8),
        Config("short-finetune", 300, linear_decay(0.05, 300, 30), weight_decay=1e-3, eval_every=50, seed=9),
    ]
    return out


def build_healthy() -> dict[str, Case]:
    """Healthy runs over seeds and lr schedules: warmup+cosine, constant, step, linear, softmax regression."""
    cases = {}
    for cfg in _healthy_configs():
        trace = train(cfg)
        cases[cfg.name] = Case(to_run(cfg.name, trace), trace)
    keras_names = {"train/loss": "loss", "train/acc": "accuracy", "val/loss": "val_loss", "val/acc": "val_accuracy",
                   "lr": "learning_rate", "grad_norm": "gradient_norm"}  # fmt: skip
    trace = cases["warmup-cosine-1"].trace
    cases["keras-names"] = Case(to_run("keras-names", trace, keras_names), trace)
    return cases


def build_problems() -> dict[str, Case]:
    """One run per problem, each with its true onset steps."""
    cases: dict[str, Case] = {}

    trace = train(Config("lr-too-high", STEPS, warmup_cosine(4.0, 300, STEPS)))
    cases["lr-too-high"] = Case(
        to_run("lr-too-high", trace),
        trace,
        {"nan_inf": [_first_nan(trace)], "divergence": [_stays_far_above_best(trace)]},
    )

    trace = train(Config("overfit", 1500, constant(0.05), hidden=128, train_size=100, label_noise=0.2))
    val = np.asarray(trace.val_loss)
    cases["overfit"] = Case(to_run("overfit", trace), trace, {"overfitting": [trace.val_steps[int(np.argmin(val))]]})

    trace = train(Config("lr-too-low", 800, constant(1e-5), seed=3))
    cases["lr-too-low"] = Case(to_run("lr-too-low", trace), trace, {"plateau": [trace.steps[0]]})

    bad = (300, 550, 800)
    trace = train(Config("bad-batches", STEPS, warmup_cosine(0.1, 100, STEPS), weight_decay=1e-3, corrupt_steps=bad))
    cases["bad-batches"] = Case(to_run("bad-batches", trace), trace, {"loss_spike": [trace.steps[i] for i in bad]})

    jump_at = 600
    trace = train(Config("lr-jump", STEPS, _jump_schedule(warmup_cosine(0.1, 100, STEPS), jump_at, 3.0)))
    grads = np.asarray(trace.grad_norm)
    baseline = np.median(grads[jump_at - 200 : jump_at])
    first = jump_at + int(np.flatnonzero(grads[jump_at:] > 100 * baseline)[0])
    cases["lr-jump"] = Case(to_run("lr-jump", trace), trace, {"gradient_explosion": [trace.steps[first]]})
    return cases
