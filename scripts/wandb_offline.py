"""The environment for a child process that writes offline W&B runs under one folder and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path


def offline_env(base: Path) -> dict[str, str]:
    """wandb in offline mode, every cache and config folder inside `base`, no git or code capture."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DIR=str(base),
        WANDB_CACHE_DIR=str(base / ".cache"),
        WANDB_CONFIG_DIR=str(base / ".config"),
        WANDB_DATA_DIR=str(base / ".data"),
        XDG_CACHE_HOME=str(base / ".xdg"),
        WANDB_DISABLE_GIT="true",
        WANDB_DISABLE_CODE="true",
    )
    return env
