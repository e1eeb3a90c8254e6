"""Child process: writes Keras CSVLogger files with Keras 3 on the torch backend (see tests/frameworks).

Usage: KERAS_BACKEND=torch python -m tests.frameworks.keras_writer OUT
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from tests.contract.spec import RunSpec, standard_specs

STAMP = 1_700_000_000


def _model(lr: float = 0.01) -> Any:
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse", metrics=["mae"])
    return model


def write_spec(spec: RunSpec, path: Path, order: int) -> None:
    """A spec's exact values through the CSVLogger callback, one `on_epoch_end` per step (epoch = step)."""
    import keras

    logger = keras.callbacks.CSVLogger(str(path))
    logger.set_model(_model())
    rows: dict[int, dict[str, float]] = {}
    for key, series in spec.series.items():
        for step, value in zip(series.steps, series.values):
            rows.setdefault(step, {})[key] = value
    logger.on_train_begin()
    for step in sorted(rows):
        logger.on_epoch_end(step, dict(rows[step]))
    logger.on_train_end()
    os.utime(path, (STAMP + order, STAMP + order))
    # Keras logs no config: scripts save theirs beside the log, the convention the source reads
    path.with_name(f"{spec.name}.config.json").write_text(json.dumps(dict(spec.config)))


def write_empty(path: Path) -> None:
    """A `fit` stopped before its first epoch ended: the callback opened (created) the file and wrote nothing."""
    import keras

    logger = keras.callbacks.CSVLogger(str(path))
    logger.set_model(_model())
    logger.on_train_begin()
    logger.on_train_end()


def _data(n: int, seed: int) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) + 0.1 * rng.normal(size=(n, 1))).astype("float32")


def train(out: Path) -> None:
    """Real `fit` runs: a healthy one resumed with `append=True` (two sessions in one file), one with a far too
    high learning rate."""
    import keras

    keras.utils.set_random_seed(0)
    x, y = _data(96, 1)
    model = _model(0.01)
    healthy = out / "mlp-resumed.csv"
    model.fit(x, y, validation_split=0.25, epochs=3, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(str(healthy))])  # fmt: skip
    model.fit(x, y, validation_split=0.25, epochs=3, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(str(healthy), append=True)])  # fmt: skip
    keras.utils.set_random_seed(0)
    model = _model(0.5)
    model.fit(x, y, validation_split=0.25, epochs=4, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(str(out / "mlp-lr-too-high.csv"))])  # fmt: skip


def _classifier(optimizer: Any, hidden: int = 32) -> Any:
    import keras

    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(10)]
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def _fit_digits(
    path: Path, optimizer: Any, epochs: int, *, seed: int, hidden: int = 32, batch: int = 32, append: bool = False,
    lr_schedule: Any = None, **split: Any,
) -> None:  # fmt: skip
    """One `fit` of a digits classifier, logged by CSVLogger into `path` (appended to it with `append`)."""
    import keras

    from tests.frameworks.digits import digits_split

    keras.utils.set_random_seed(seed)
    x, y, x_val, y_val = digits_split(**split)
    callbacks = [keras.callbacks.CSVLogger(str(path), append=append)]
    if lr_schedule is not None:
        callbacks.append(keras.callbacks.LearningRateScheduler(lr_schedule))
    model = _classifier(optimizer, hidden)
    model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch, verbose=0, callbacks=callbacks)


def corpus(out: Path) -> None:
    """The corpus of short runs (see tests/frameworks/corpus.py for what is planted where)."""
    import keras

    sgd = keras.optimizers.SGD
    _fit_digits(out / "keras-small-val.csv", sgd(0.05, momentum=0.9), 12, seed=1, train_size=600, val_size=60)
    _fit_digits(out / "keras-small-batches.csv", sgd(0.02, momentum=0.9), 8, seed=2, batch=8, train_size=400,
                val_size=60)  # fmt: skip
    rerun = out / "keras-rerun-appended.csv"  # the script run twice with the same log: the second from scratch
    _fit_digits(rerun, sgd(0.05, momentum=0.9), 6, seed=3, train_size=600)
    _fit_digits(rerun, sgd(0.05, momentum=0.9), 6, seed=4, train_size=600, append=True)
    _fit_digits(out / "keras-overfit.csv", keras.optimizers.Adam(0.01), 30, seed=3, hidden=128, batch=10,
                train_size=50, label_noise=0.3)  # fmt: skip
    _fit_digits(out / "keras-val-never-improves.csv", sgd(0.05, momentum=0.9), 10, seed=4, train_size=600,
                blank_val=True)  # fmt: skip
    # warm-up without a ceiling: the lr grows 2.5x per epoch and the loss blows up once it is far too high
    _fit_digits(out / "keras-lr-too-high.csv", sgd(0.01, momentum=0.9), 10, seed=7, train_size=600,
                lr_schedule=lambda epoch, lr: 0.02 * 2.5**epoch)  # fmt: skip
    # a schedule with a unit slip: from epoch 4 the lr is 1e20 and the weights overflow to NaN
    _fit_digits(out / "keras-nan.csv", sgd(0.05, momentum=0.9), 8, seed=6, train_size=600,
                lr_schedule=lambda epoch, lr: 0.05 if epoch < 4 else 1e20)  # fmt: skip


def main(out: Path) -> None:
    import torch

    torch.set_num_threads(1)
    (out / "contract").mkdir(parents=True)
    for order, spec in enumerate(standard_specs()):
        write_spec(spec, out / "contract" / f"{spec.name}.csv", order)
    (out / "empty").mkdir()
    write_empty(out / "empty" / "empty-run.csv")
    (out / "trained").mkdir()
    train(out / "trained")
    (out / "corpus").mkdir()
    corpus(out / "corpus")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
