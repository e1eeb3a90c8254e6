"""A tiny real training loop (numpy MLP on synthetic blobs) used to write the example runs.

It trains for real: losses, accuracies and gradient norms come from actual SGD, so the examples
show the noise, warmup, overfitting and divergence of real runs rather than drawn curves.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np


def make_data(
    n: int, dim: int = 16, classes: int = 4, seed: int = 0, noise: float = 4.0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1.0, (classes, dim))
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(0, noise / math.sqrt(dim) * 1.5, (n, dim))
    return x.astype(np.float64), y


def lr_at(step: int, steps: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def train(
    *,
    steps: int = 2000,
    peak_lr: float = 0.05,
    warmup: int = 100,
    train_size: int = 2000,
    hidden: int = 64,
    batch: int = 32,
    eval_every: int = 50,
    seed: int = 0,
) -> Iterator[dict[str, Any]]:
    """Yield one log row per step (val metrics every `eval_every` steps)."""
    rng = np.random.default_rng(seed)
    x_all, y_all = make_data(train_size + 1000, seed=seed)
    x_train, y_train = x_all[:train_size], y_all[:train_size]
    x_val, y_val = x_all[train_size:], y_all[train_size:]
    dim, classes = x_train.shape[1], int(y_all.max()) + 1
    w1 = rng.normal(0, 1 / math.sqrt(dim), (dim, hidden))
    b1 = np.zeros(hidden)
    w2 = rng.normal(0, 1 / math.sqrt(hidden), (hidden, classes))
    b2 = np.zeros(classes)

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.maximum(0, x @ w1 + b1)
        logits = h @ w2 + b2
        return h, logits

    def loss_acc(logits: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore"):
            z = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            loss = float(-np.mean(np.log(p[np.arange(y.size), y] + 1e-12)))
        acc = float(np.mean(np.argmax(logits, axis=1) == y))
        return loss, acc, p

    for step in range(steps):
        lr = lr_at(step, steps, peak_lr, warmup)
        idx = rng.integers(0, train_size, batch)
        xb, yb = x_train[idx], y_train[idx]
        with np.errstate(over="ignore", invalid="ignore"):
            h, logits = forward(xb)
            loss, acc, p = loss_acc(logits, yb)
            grad_logits = p.copy()
            grad_logits[np.arange(batch), yb] -= 1
            grad_logits /= batch
            gw2 = h.T @ grad_logits
            gb2 = grad_logits.sum(axis=0)
            gh = grad_logits @ w2.T
            gh[h <= 0] = 0
            gw1 = xb.T @ gh
            gb1 = gh.sum(axis=0)
            grad_norm = float(math.sqrt(sum(float(np.sum(g * g)) for g in (gw1, gb1, gw2, gb2))))
            w1 -= lr * gw1
            b1 -= lr * gb1
            w2 -= lr * gw2
            b2 -= lr * gb2
        row: dict[str, Any] = {
            "step": step,
            "train/loss": _clean(loss),
            "train/acc": acc,
            "lr": lr,
            "grad_norm": _clean(grad_norm),
        }
        if step % eval_every == 0 or step == steps - 1:
            _, val_logits = forward(x_val)
            val_loss, val_acc, _ = loss_acc(val_logits, y_val)
            row["val/loss"] = _clean(val_loss)
            row["val/acc"] = val_acc
        yield row


def _clean(value: float) -> float:
    return float(value) if math.isfinite(value) else float("nan") if math.isnan(value) else value
