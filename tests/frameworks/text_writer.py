"""Child process: a tiny character-level bigram model trained with numpy, its stdout redirected to a log.

It prints what nanoGPT's train.py prints, with nanoGPT's own format strings: `Overriding: key = value`
from its configurator, `iter N: loss L, time Tms, mfu M%` every log interval, `step N: train loss A,
val loss B` every evaluation, and the chatter between them (parameter count, checkpoint saves).
Users get these logs with `python train.py > train.log`; so does this writer (`text_writer OUT`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TEXT = ("first citizen: before we proceed any further, hear me speak. all: speak, speak. " * 40).encode()


def train(lr: float, iters: int, eval_interval: int, seed: int, warmup_iters: int = 0) -> None:
    """The training loop; prints to stdout like nanoGPT (with its linear warm-up, then a constant lr)."""
    print(f"Overriding: learning_rate = {lr}")
    print(f"Overriding: max_iters = {iters}")
    print(f"Overriding: eval_interval = {eval_interval}")
    vocab = sorted(set(TEXT))
    index = {c: i for i, c in enumerate(vocab)}
    data = np.array([index[c] for c in TEXT])
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    rng = np.random.default_rng(seed)
    weights = rng.normal(0, 0.1, (len(vocab), len(vocab)))
    print(f"number of parameters: {weights.size / 1e6:.2f}M")

    def loss_and_grad(batch: np.ndarray) -> tuple[float, np.ndarray]:
        x, y = batch[:-1], batch[1:]
        logits = weights[x]
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = float(-np.log(probs[np.arange(len(y)), y] + 1e-12).mean())
        probs[np.arange(len(y)), y] -= 1
        grad = np.zeros_like(weights)
        np.add.at(grad, x, probs / len(y))
        return loss, grad

    def estimate(source: np.ndarray) -> float:
        starts = rng.integers(0, len(source) - 65, 4)
        return float(np.mean([loss_and_grad(source[s : s + 65])[0] for s in starts]))

    for iter_num in range(iters + 1):
        if iter_num % eval_interval == 0:
            print(f"step {iter_num}: train loss {estimate(train_data):.4f}, val loss {estimate(val_data):.4f}")
            if iter_num > 0:
                print("saving checkpoint to out")
        t0 = time.time()
        start = int(rng.integers(0, len(train_data) - 65))
        lossf, grad = loss_and_grad(train_data[start : start + 65])
        step_lr = lr * (iter_num + 1) / (warmup_iters + 1) if iter_num < warmup_iters else lr
        weights -= step_lr * grad * len(vocab)
        dt = max(time.time() - t0, 1e-6)
        mfu = -1.0 if iter_num < 5 else min(0.5, 1e-5 / dt)
        print(f"iter {iter_num}: loss {lossf:.4f}, time {dt * 1000:.2f}ms, mfu {mfu * 100:.2f}%")


def _write(path: Path, lr: float, iters: int, eval_interval: int, seed: int, warmup_iters: int = 0) -> None:
    with path.open("w") as log:
        code = f"from tests.frameworks.text_writer import train; train({lr!r}, {iters}, {eval_interval}, {seed}, {warmup_iters})"
        subprocess.run([sys.executable, "-c", code], stdout=log, check=True)


def main(out: Path) -> None:
    folder = out / "trained"
    folder.mkdir(parents=True)
    for name, lr, seed in (("shakespeare-char", 0.5, 0), ("shakespeare-char-lr-too-high", 60.0, 1)):
        _write(folder / f"{name}.log", lr, 60, 20, seed)
    corpus = out / "corpus"  # see tests/frameworks/corpus.py for what is planted where
    corpus.mkdir()
    _write(corpus / "char-healthy.log", 0.5, 120, 20, 2)
    _write(corpus / "char-healthy-fast.log", 2.0, 80, 10, 3)
    _write(corpus / "char-lr-too-high.log", 60.0, 60, 20, 4)
    _write(corpus / "char-warmup-too-high.log", 80.0, 120, 20, 5, warmup_iters=60)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
