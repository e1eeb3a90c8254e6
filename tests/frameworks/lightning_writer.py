"""Child process: writes Lightning CSVLogger runs with `lightning` itself (see tests/frameworks).

Usage: python -m tests.frameworks.lightning_writer OUT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from tests.contract.spec import RunSpec, standard_specs

STAMP = 1_700_000_000


def write_spec(spec: RunSpec, save_dir: Path, order: int) -> None:
    """A spec's exact values through `CSVLogger.log_metrics` at its steps, with its config as hyperparameters."""
    from lightning.pytorch.loggers import CSVLogger

    logger = CSVLogger(str(save_dir), name=spec.name)
    logger.log_hyperparams(dict(spec.config))
    rows: dict[int, dict[str, float]] = {}
    for key, series in spec.series.items():
        for step, value in zip(series.steps, series.values):
            rows.setdefault(step, {})[key] = value
    for step in sorted(rows):
        train = {k: v for k, v in rows[step].items() if not k.startswith("val/")}
        val = {k: v for k, v in rows[step].items() if k.startswith("val/")}
        for part in (train, val):  # Lightning logs validation on rows of their own
            if part:
                logger.log_metrics(part, step)
        if step % 50 == 49:
            logger.save()
    logger.finalize("success")
    for path in Path(logger.log_dir).iterdir():
        os.utime(path, (STAMP + order, STAMP + order))


def write_empty(save_dir: Path) -> None:
    """A logger that saved its hyperparameters and finished before logging a metric (no metrics.csv is written)."""
    from lightning.pytorch.loggers import CSVLogger

    logger = CSVLogger(str(save_dir), name="empty-run")
    logger.log_hyperparams({"lr": 0.1})
    logger.finalize("success")


def _module(lr: float) -> Any:
    import lightning as L
    import torch

    class TinyRegressor(L.LightningModule):
        def __init__(self, lr: float) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))

        def training_step(self, batch: Any, _index: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, _index: int) -> None:
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    return TinyRegressor(lr)


def _loader(n: int, seed: int) -> Any:
    import torch

    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=generator)
    y = x.sum(dim=1, keepdim=True) + 0.1 * torch.randn(n, 1, generator=generator)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def train(save_dir: Path) -> None:
    """Real `Trainer.fit` runs into `lightning_logs/version_N`: a healthy one and one with a far too high lr."""
    import lightning as L
    from lightning.pytorch.loggers import CSVLogger

    for lr in (0.05, 5.0):
        L.seed_everything(0, verbose=False)
        trainer = L.Trainer(
            max_epochs=3, logger=CSVLogger(str(save_dir)), log_every_n_steps=1, accelerator="cpu",
            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        )  # fmt: skip
        trainer.fit(_module(lr), _loader(64, 1), _loader(32, 2))


def _digits_module(lr: float, hidden: int, adam: bool, lr_factor: Any) -> Any:
    import lightning as L
    import torch

    class DigitsClassifier(L.LightningModule):
        def __init__(self, lr: float, hidden: int, adam: bool) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))

        def training_step(self, batch: Any, _index: int) -> Any:
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: Any, _index: int) -> None:
            x, y = batch
            logits = self.net(x)
            self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
            self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())

        def configure_optimizers(self) -> Any:
            if self.hparams.adam:
                optimizer: Any = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
            else:
                optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)
            if lr_factor is None:
                return optimizer
            return [optimizer], [torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)]

    return DigitsClassifier(lr, hidden, adam)


def _fit_digits(
    save_dir: Path, name: str, lr: float, epochs: int, *, seed: int, hidden: int = 32, batch: int = 32,
    adam: bool = False, lr_factor: Any = None, **split: Any,
) -> None:  # fmt: skip
    """One `Trainer.fit` of a digits classifier into `save_dir/name/version_0`, every batch's loss logged."""
    import lightning as L
    import torch
    from lightning.pytorch.loggers import CSVLogger

    from tests.frameworks.digits import digits_split

    L.seed_everything(seed, verbose=False)
    x, y, x_val, y_val = (torch.from_numpy(a) for a in digits_split(**split))
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch, shuffle=True)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_val, y_val), batch_size=512)
    trainer = L.Trainer(
        max_epochs=epochs, logger=CSVLogger(str(save_dir), name=name), log_every_n_steps=1, accelerator="cpu",
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )  # fmt: skip
    trainer.fit(_digits_module(lr, hidden, adam, lr_factor), train, val)


def corpus(out: Path) -> None:
    """The corpus of short runs (see tests/frameworks/corpus.py for what is planted where)."""
    _fit_digits(out, "pl-small-batches", 0.02, 5, seed=1, batch=8, train_size=300, val_size=60)
    _fit_digits(out, "pl-small-val", 0.05, 10, seed=2, batch=32, train_size=600, val_size=60)
    _fit_digits(out, "pl-overfit", 0.02, 30, seed=3, hidden=128, batch=10, adam=True, train_size=50,
                label_noise=0.3)  # fmt: skip
    _fit_digits(out, "pl-val-never-improves", 0.05, 8, seed=4, train_size=600, blank_val=True)
    # warm-up without a ceiling: the lr grows 2.5x per epoch and the loss blows up once it is far too high
    _fit_digits(out, "pl-lr-too-high", 0.02, 10, seed=7, train_size=600, lr_factor=lambda epoch: 2.5**epoch)
    # a schedule with a unit slip: from epoch 4 the lr is 1e20 and the weights overflow to NaN
    _fit_digits(out, "pl-nan", 0.05, 7, seed=6, train_size=600, lr_factor=lambda epoch: 1.0 if epoch < 4 else 2e21)


def main(out: Path) -> None:
    import torch

    torch.set_num_threads(1)
    for order, spec in enumerate(standard_specs()):
        write_spec(spec, out / "contract", order)
    write_empty(out / "empty")
    train(out / "trained")
    corpus(out / "corpus")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
