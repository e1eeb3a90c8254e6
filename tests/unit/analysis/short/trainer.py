"""An epoch-level real trainer for the short-run corpus: a numpy MLP on scikit-learn's digits, logged per epoch
the way Keras, Lightning, Hugging Face and Ultralytics log, and written as JSON lines read back by the real
JSONL source.

Everything logged comes from actual mini-batch SGD with momentum: epoch-mean training losses, per-batch losses
with their real noise, validation on held-out digits (a small validation set is noisy for real). Problems are
caused, not drawn: a tiny noisy training subset really overfits, a broken validation pipeline (inputs zeroed)
really never responds, a corrupted batch at an epoch's end really throws the weights, an lr far too high really
makes validation swing, a schedule sized for fewer epochs really leaves the loss flat, and sessions appended to
one file really restart the epoch counter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.unit.analysis.trainer import _softmax_ce, digits

EpochSchedule = Callable[[int], float]


@dataclass
class EpochConfig:
    """One short training run, logged per epoch (and per batch when `log_batches`)."""

    name: str
    epochs: int
    lr: EpochSchedule
    hidden: int = 32
    batch: int = 32
    momentum: float = 0.9
    weight_decay: float = 0.0
    train_size: int | None = None
    label_noise: float = 0.0
    val_size: int = 500
    val_every: int = 1  # epochs between evaluations (the last epoch is always evaluated)
    val_input_scale: float = 1.0  # 0: a broken validation pipeline that feeds blank images
    burst_epoch: int | None = None  # a corrupted batch (inputs × burst_scale, wrong labels) ends this epoch
    burst_scale: float = 40.0
    log_batches: bool = False
    seed: int = 0


@dataclass
class EpochTrace:
    """Rows as a framework would log them: one per epoch (`epoch_rows`), and one per batch (`batch_rows`)."""

    epoch_rows: list[dict[str, float]] = field(default_factory=list)
    batch_rows: list[dict[str, float]] = field(default_factory=list)
    steps_per_epoch: int = 0


def train_epochs(cfg: EpochConfig) -> EpochTrace:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(cfg)


def _train(cfg: EpochConfig) -> EpochTrace:
    x_all, y_all = digits()
    rng = np.random.default_rng(cfg.seed)
    order = np.random.default_rng(1234).permutation(y_all.size)
    val_idx, train_idx = order[: cfg.val_size], order[500:]
    if cfg.train_size is not None:
        train_idx = train_idx[: cfg.train_size]
    x_tr, y_tr = x_all[train_idx], y_all[train_idx].copy()
    x_val, y_val = x_all[val_idx] * cfg.val_input_scale, y_all[val_idx]
    if cfg.label_noise:
        flip = np.random.default_rng(99).random(y_tr.size) < cfg.label_noise
        y_tr[flip] = np.random.default_rng(98).integers(0, 10, int(flip.sum()))
    dim, classes, hidden = x_tr.shape[1], 10, cfg.hidden
    params = [
        rng.normal(0, math.sqrt(2 / dim), (dim, hidden)),
        np.zeros(hidden),
        rng.normal(0, math.sqrt(1 / hidden), (hidden, classes)),
        np.zeros(classes),
    ]
    velocity = [np.zeros_like(p) for p in params]

    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pre = x @ params[0] + params[1]
        return pre, np.where(pre > 0, pre, 0.1 * pre) @ params[2] + params[3]

    trace = EpochTrace()
    per_epoch = math.ceil(y_tr.size / cfg.batch)
    trace.steps_per_epoch = per_epoch
    step = 0
    for epoch in range(cfg.epochs):
        lr = cfg.lr(epoch)
        perm = rng.permutation(y_tr.size)
        losses, accs = [], []
        for b in range(per_epoch):
            idx = perm[b * cfg.batch : (b + 1) * cfg.batch]
            xb, yb = x_tr[idx], y_tr[idx]
            if cfg.burst_epoch == epoch and b == per_epoch - 1:
                xb = xb * cfg.burst_scale
                yb = (yb + 1 + rng.integers(0, 9, yb.size)) % classes
            with np.errstate(all="ignore"):
                pre, logits = forward(xb)
                loss, acc, p = _softmax_ce(logits, yb)
                g = p.copy()
                g[np.arange(yb.size), yb] -= 1
                g /= yb.size
                act = np.where(pre > 0, pre, 0.1 * pre)
                gh = (g @ params[2].T) * np.where(pre > 0, 1.0, 0.1)
                grads = [xb.T @ gh, gh.sum(axis=0), act.T @ g, g.sum(axis=0)]
                for k, (prm, gr) in enumerate(zip(params, grads, strict=True)):
                    velocity[k] = cfg.momentum * velocity[k] + gr + cfg.weight_decay * prm
                    prm -= lr * velocity[k]
            losses.append(loss if math.isfinite(loss) else float("nan"))
            accs.append(acc)
            if cfg.log_batches:
                trace.batch_rows.append({"step": step, "loss": losses[-1], "epoch": epoch})
            step += 1
        row: dict[str, float] = {
            "epoch": epoch,
            "step": step - 1,
            "loss": float(np.mean(losses)),
            "accuracy": float(np.mean(accs)),
            "lr": lr,
        }
        if epoch % cfg.val_every == 0 or epoch == cfg.epochs - 1:
            with np.errstate(all="ignore"):
                _, val_logits = forward(x_val)
                vl, va, _ = _softmax_ce(val_logits, y_val)
            row["val_loss"] = vl if math.isfinite(vl) else float("nan")
            row["val_accuracy"] = va
        trace.epoch_rows.append(row)
    return trace


# How each framework names what was logged; `None` leaves a column out.
CONVENTIONS: dict[str, dict[str, str | None]] = {
    # Keras CSVLogger / History: epoch is the step
    "keras": {"loss": "loss", "accuracy": "accuracy", "val_loss": "val_loss", "val_accuracy": "val_accuracy",
              "lr": "learning_rate", "step": None},
    # Lightning: *_epoch training aggregates, val_* per epoch, the global step as step
    "lightning": {"loss": "train_loss_epoch", "accuracy": "train_acc_epoch", "val_loss": "val_loss",
                  "val_accuracy": "val_acc", "lr": "lr-SGD", "step": "step"},
    # Hugging Face Trainer log_history: loss, eval_loss, eval_accuracy, learning_rate, step and float epoch
    "hf": {"loss": "loss", "accuracy": None, "val_loss": "eval_loss", "val_accuracy": "eval_accuracy",
           "lr": "learning_rate", "step": "step"},
    # Ultralytics results.csv: component losses, mAP-style metrics, lr per param group
    "yolo": {"loss": "train/cls_loss", "accuracy": None, "val_loss": "val/cls_loss",
             "val_accuracy": "metrics/mAP50(B)", "lr": "lr/pg0", "step": None},
}  # fmt: skip


def rows_for(trace: EpochTrace, convention: str, *, batches: bool = False) -> list[dict[str, float]]:
    """The epoch rows renamed to a framework's keys (with the per-batch rows first in step order, if asked)."""
    names = CONVENTIONS[convention]
    out: list[dict[str, float]] = []
    for row in trace.epoch_rows:
        renamed: dict[str, float] = {"epoch": row["epoch"]}
        for key, value in row.items():
            if key == "epoch":
                continue
            target = names.get(key, key)
            if target is not None:
                renamed[target] = value
        if convention == "yolo":  # Ultralytics always logs its three losses; a classifier's box/dfl stay 0
            renamed.update({"train/box_loss": 0.0, "val/box_loss": 0.0, "train/dfl_loss": 0.0, "val/dfl_loss": 0.0})
        out.append(renamed)
    if batches:
        merged: list[dict[str, float]] = []
        by_step = {int(r["step"]): r for r in out if "step" in r}
        for b in trace.batch_rows:
            key = "train_loss_step" if convention == "lightning" else "loss_step"
            merged.append({"step": b["step"], key: b["loss"]})
            if int(b["step"]) in by_step:
                merged.append(by_step[int(b["step"])])
        return merged
    return out


def write_jsonl(path: Path, rows: list[dict[str, float]], config: dict[str, object] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        if config:
            f.write(json.dumps({"config": config}) + "\n")
        for row in rows:
            f.write(json.dumps(row) + "\n")
    return path
