"""A tiny real trainer for the analysis corpus: a numpy MLP (or softmax regression) on scikit-learn's digits.

Everything logged comes from actual mini-batch SGD with momentum: batch losses with their real noise, the real
global gradient norm, validation on held-out digits. Problems are caused, not drawn: a too-high peak lr really
diverges to NaN, a tiny training subset really overfits, a tiny lr really stalls, corrupted batches really spike
the loss, an lr jump really explodes the gradients, an lr burst really kills the ReLUs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from runwise.domain.model import MetricSeries, Run, RunInfo

Schedule = Callable[[int], float]


@lru_cache(maxsize=1)
def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.data / 16.0).astype(np.float64), data.target.astype(np.int64)


def warmup_cosine(peak: float, warmup: int, steps: int, floor: float = 0.0) -> Schedule:
    def lr(step: int) -> float:
        if step < warmup:
            return peak * (step + 1) / warmup
        t = (step - warmup) / max(1, steps - warmup)
        return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * t))

    return lr


def constant(value: float) -> Schedule:
    return lambda step: value


def step_decay(peak: float, every: int, gamma: float = 0.1) -> Schedule:
    return lambda step: peak * gamma ** (step // every)


def linear_decay(peak: float, steps: int, warmup: int = 0) -> Schedule:
    def lr(step: int) -> float:
        if step < warmup:
            return peak * (step + 1) / warmup
        return peak * max(0.0, 1 - (step - warmup) / max(1, steps - warmup))

    return lr


@dataclass
class Config:
    """One training run."""

    name: str
    steps: int
    schedule: Schedule
    hidden: int = 64  # 0: softmax regression
    batch: int = 32
    train_size: int | None = None  # None: all training digits
    weight_decay: float = 0.0
    momentum: float = 0.9
    eval_every: int = 20
    seed: int = 0
    corrupt_steps: tuple[int, ...] = ()  # batches whose labels and inputs are garbage (a bad shard)
    label_noise: float = 0.0  # fraction of training labels replaced by a random class
    leak: float = 0.1  # leaky-ReLU slope: dead units do not end a divergence before it reaches NaN
    first_step: int = 0
    vanish_at: int | None = None  # from this step the backward pass scales gradients by 1e-5 (a broken loss scaler)
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Trace:
    """What the run logged, as columns, plus the schedule actually applied."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    val_steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)


def _softmax_ce(logits: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Cross-entropy by log-softmax, as frameworks compute it: overflowing logits give Inf/NaN, not a clipped loss."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p = z - log_norm
    loss = float(-np.mean(log_p[np.arange(y.size), y]))
    acc = float(np.mean(np.argmax(logits, axis=1) == y))
    return loss, acc, np.exp(log_p)


def train(cfg: Config) -> Trace:
    """Train and log every step; validation every `eval_every` steps and at the last step.

    BLAS runs single-threaded: on matrices this small, threads only add contention (3× slower on 2 shared cores).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(cfg)


def _train(cfg: Config) -> Trace:
    x_all, y_all = digits()
    rng = np.random.default_rng(cfg.seed)
    order = np.random.default_rng(1234).permutation(y_all.size)  # same split for every run
    val_idx, train_idx = order[:500], order[500:]
    if cfg.train_size is not None:
        train_idx = train_idx[: cfg.train_size]
    x_tr, y_tr, x_val, y_val = x_all[train_idx], y_all[train_idx].copy(), x_all[val_idx], y_all[val_idx]
    if cfg.label_noise:
        flip = np.random.default_rng(99).random(y_tr.size) < cfg.label_noise
        y_tr[flip] = np.random.default_rng(98).integers(0, 10, int(flip.sum()))
    dim, classes = x_tr.shape[1], 10
    params: list[np.ndarray]
    if cfg.hidden:
        params = [
            rng.normal(0, math.sqrt(2 / dim), (dim, cfg.hidden)),
            np.zeros(cfg.hidden),
            rng.normal(0, math.sqrt(1 / cfg.hidden), (cfg.hidden, classes)),
            np.zeros(classes),
        ]
    else:
        params = [rng.normal(0, 0.01, (dim, classes)), np.zeros(classes)]
    velocity = [np.zeros_like(p) for p in params]

    def forward(x: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        if cfg.hidden:
            pre = x @ params[0] + params[1]
            h = np.where(pre > 0, pre, cfg.leak * pre)
            return pre, h @ params[2] + params[3]
        return None, x @ params[0] + params[1]

    trace = Trace()
    for i in range(cfg.steps):
        step = cfg.first_step + i
        lr = cfg.schedule(i)
        idx = rng.integers(0, y_tr.size, cfg.batch)
        xb, yb = x_tr[idx], y_tr[idx]
        if i in cfg.corrupt_steps:
            xb = xb * 3.0
            yb = (yb + 1 + rng.integers(0, 9, yb.size)) % classes  # every label wrong
        with np.errstate(all="ignore"):
            h, logits = forward(xb)
            loss, acc, p = _softmax_ce(logits, yb)
            g = p.copy()
            g[np.arange(yb.size), yb] -= 1
            g /= yb.size
            if cfg.hidden:
                assert h is not None  # the pre-activation
                act = np.where(h > 0, h, cfg.leak * h)
                gw2, gb2 = act.T @ g, g.sum(axis=0)
                gh = (g @ params[2].T) * np.where(h > 0, 1.0, cfg.leak)
                grads = [xb.T @ gh, gh.sum(axis=0), gw2, gb2]
            else:
                grads = [xb.T @ g, g.sum(axis=0)]
            if cfg.vanish_at is not None and i >= cfg.vanish_at:
                grads = [gr * 1e-5 for gr in grads]
            norm = math.sqrt(sum(float(np.sum(gr * gr)) for gr in grads))
            for k, (prm, gr) in enumerate(zip(params, grads, strict=True)):
                velocity[k] = cfg.momentum * velocity[k] + gr + cfg.weight_decay * prm
                prm -= lr * velocity[k]
        trace.steps.append(step)
        trace.loss.append(loss if math.isfinite(loss) else float("nan"))
        trace.acc.append(acc)
        trace.lr.append(lr)
        trace.grad_norm.append(norm if math.isfinite(norm) else float("nan"))
        if i % cfg.eval_every == 0 or i == cfg.steps - 1:
            with np.errstate(all="ignore"):
                _, val_logits = forward(x_val)
                vl, va, _ = _softmax_ce(val_logits, y_val)
            trace.val_steps.append(step)
            trace.val_loss.append(vl if math.isfinite(vl) else float("nan"))
            trace.val_acc.append(va)
    return trace


def to_run(name: str, trace: Trace, keys: dict[str, str] | None = None) -> Run:
    """The trace as a Run; `keys` renames the logged keys (train/loss → loss, ...) to test other conventions."""
    names = {
        "train/loss": "train/loss",
        "train/acc": "train/acc",
        "lr": "lr",
        "grad_norm": "grad_norm",
        "val/loss": "val/loss",
        "val/acc": "val/acc",
        **(keys or {}),
    }
    cols = {
        "train/loss": (trace.steps, trace.loss),
        "train/acc": (trace.steps, trace.acc),
        "lr": (trace.steps, trace.lr),
        "grad_norm": (trace.steps, trace.grad_norm),
        "val/loss": (trace.val_steps, trace.val_loss),
        "val/acc": (trace.val_steps, trace.val_acc),
    }
    series = {names[k]: MetricSeries(names[k], s, v) for k, (s, v) in cols.items()}
    last = max(trace.steps)
    return Run(RunInfo(id=name, name=name, source="memory", last_step=last), series=series)
