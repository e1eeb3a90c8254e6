"""W&B run folders read from disk: the binary `.wandb` file decoded without the `wandb` package."""

from runwise.adapters.sources.wandb_local.source import CONSOLE_TAIL_KEY, WandbLocalRunSource

__all__ = ["CONSOLE_TAIL_KEY", "WandbLocalRunSource"]
