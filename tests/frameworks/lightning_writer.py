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


def main(out: Path) -> None:
    import torch

    torch.set_num_threads(1)
    for order, spec in enumerate(standard_specs()):
        write_spec(spec, out / "contract", order)
    write_empty(out / "empty")
    train(out / "trained")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
