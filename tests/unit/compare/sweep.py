"""A real sweep: softmax regression on scikit-learn's digits, trained with numpy SGD per (lr, seed).

Every run keeps its raw arrays so tests can compute expected answers with numpy directly, without
going through the code under test.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from runwise.domain.model import MetricSeries, Run, RunInfo

LEARNING_RATES = (0.02, 0.1, 0.5)
SEEDS = (0, 1, 2)
STEPS = 300
BATCH = 32
T0 = 1_700_000_000.0


@attrs.frozen(eq=False)
class Trained:
    """One training run's raw logs."""

    name: str
    lr: float
    seed: int
    val_every: int
    steps: np.ndarray
    train_loss: np.ndarray
    val_steps: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    config: dict[str, Any]


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    order = np.random.default_rng(1234).permutation(len(y))
    x, y = x[order], y[order]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def _loss_and_grad(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    logits = x @ w + b
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())
    p[np.arange(len(y)), y] -= 1.0
    p /= len(y)
    return loss, x.T @ p, p.sum(axis=0)


def train(lr: float, seed: int, *, steps: int = STEPS, val_every: int = 20) -> Trained:
    """Mini-batch SGD on softmax regression; train loss every step, validation every `val_every` steps."""
    x_tr, y_tr, x_va, y_va = _digits()
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 0.01, size=(64, 10))
    b = np.zeros(10)
    train_loss, val_steps, val_loss, val_acc = [], [], [], []
    for step in range(steps):
        idx = rng.integers(0, len(y_tr), BATCH)
        loss, gw, gb = _loss_and_grad(w, b, x_tr[idx], y_tr[idx])
        w -= lr * gw
        b -= lr * gb
        train_loss.append(loss)
        if step % val_every == 0 or step == steps - 1:
            vloss, _, _ = _loss_and_grad(w, b, x_va, y_va)
            val_steps.append(step)
            val_loss.append(vloss)
            val_acc.append(float(((x_va @ w + b).argmax(axis=1) == y_va).mean()))
    return Trained(
        name=f"lr{lr}-s{seed}",
        lr=lr,
        seed=seed,
        val_every=val_every,
        steps=np.arange(steps),
        train_loss=np.array(train_loss),
        val_steps=np.array(val_steps),
        val_loss=np.array(val_loss),
        val_acc=np.array(val_acc),
        config={"model": "softmax", "optimizer": {"name": "sgd", "lr": lr}, "batch_size": BATCH, "seed": seed},
    )


def train_sweep() -> list[Trained]:
    """3 learning rates × 3 seeds; the largest lr evaluates every 25 steps, the others every 20."""
    return [
        train(lr, seed, val_every=25 if lr == max(LEARNING_RATES) else 20) for lr in LEARNING_RATES for seed in SEEDS
    ]


def to_run(t: Trained, order: int) -> Run:
    """The domain Run a tracker would give back for this training run."""
    series = {
        "train/loss": MetricSeries("train/loss", t.steps, t.train_loss),
        "train/lr": MetricSeries("train/lr", t.steps, np.full(t.steps.size, t.lr)),
        "val/loss": MetricSeries("val/loss", t.val_steps, t.val_loss),
        "val/acc": MetricSeries("val/acc", t.val_steps, t.val_acc),
    }
    info = RunInfo(
        id=t.name,
        name=t.name,
        source="memory",
        project="digits",
        state="finished",
        created_at=T0 + order,
        updated_at=T0 + order,
        last_step=int(t.steps[-1]),
        tags=("sweep", f"seed{t.seed}"),
    )
    return Run(info=info, config=t.config, series=series)


def write_jsonl(sweep: Sequence[Trained], folder: Path) -> None:
    """One JSONL file per run, written line by line like a training script: config first, then one row per step."""
    folder.mkdir(parents=True, exist_ok=True)
    for order, t in enumerate(sweep):
        val = {int(s): (lv, av) for s, lv, av in zip(t.val_steps, t.val_loss, t.val_acc)}
        path = folder / f"{t.name}.jsonl"
        with path.open("w") as fh:
            fh.write(json.dumps({"config": t.config}) + "\n")
            for step, loss in zip(t.steps, t.train_loss):
                row: dict[str, Any] = {"step": int(step), "train/loss": float(loss), "train/lr": t.lr}
                if int(step) in val:
                    row["val/loss"], row["val/acc"] = val[int(step)]
                fh.write(json.dumps(row) + "\n")
        os.utime(path, (T0 + order, T0 + order))
