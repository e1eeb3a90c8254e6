"""The data of the corpus runs: scikit-learn's digits (on disk with scikit-learn, nothing downloaded).

A fixed split shared by every framework's writer: 300 validation images, the rest for training. Problems are
caused through the data the way they happen to users: a tiny training subset with noisy labels (it overfits), a
validation pipeline that feeds blank images (validation never responds).
"""

from __future__ import annotations

import numpy as np

VAL_SIZE = 300


def digits_split(
    *, train_size: int | None = None, label_noise: float = 0.0, val_size: int = VAL_SIZE, blank_val: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val) as float32 / int64; the same split for every caller."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(1234).permutation(y.size)
    val, train = order[:val_size], order[VAL_SIZE:]
    if train_size is not None:
        train = train[:train_size]
    y_train = y[train].copy()
    if label_noise:
        flip = np.random.default_rng(99).random(y_train.size) < label_noise
        y_train[flip] = np.random.default_rng(98).integers(0, 10, int(flip.sum()))
    x_val = x[val] * (0.0 if blank_val else 1.0)
    return x[train], y_train, x_val, y[val]
