"""Real JSONL training logs for the e2e tests, written the way training scripts write them (json.dumps per step).

A helper module (not a test module): the test_mcp_* modules import these builders; test_logs.py checks
the logs are what they claim.
"""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path

import numpy as np

from runwise.bootstrap import Runwise, bootstrap
from runwise.config import Settings
from runwise.entrypoints.capabilities import TOOLS

BASE_TIME = 1_700_000_000.0
TOOL_NAMES = [c.tool_name for c in TOOLS]  # every tool, in the order tools/list returns them


def write_jsonl(path: Path, rows: list[dict[str, object]], *, config: dict[str, object] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        if config is not None:
            fh.write(json.dumps({"config": config}) + "\n")
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


def healthy_rows(steps: int = 2000, *, nan_at: int | None = None) -> list[dict[str, object]]:
    """A run whose loss falls smoothly; validation every 100 steps; optionally one NaN."""
    rows: list[dict[str, object]] = []
    for step in range(steps):
        loss = 4.0 * math.exp(-step / (steps / 4)) + 0.3 + 0.01 * math.sin(step)
        row: dict[str, object] = {
            "step": step,
            "train/loss": float("nan") if step == nan_at else round(loss, 5),
            "train/acc": round(1 - loss / 5, 5),
            "lr": 3e-4 * (1 - step / steps),
            "_timestamp": BASE_TIME + step,
        }
        if step % 100 == 0:
            row["val/loss"] = round(loss + 0.05, 5)
        rows.append(row)
    return rows


def wide_rows(steps: int = 400) -> list[dict[str, object]]:
    """50 metric keys over 5 prefixes, logged at different cadences, so their counts and ranges differ."""
    rows: list[dict[str, object]] = []
    for step in range(steps):
        row: dict[str, object] = {"step": step}
        for i in range(15):
            row[f"train/metric_{i:02d}"] = round(1 / (1 + step + i), 6)
        for i in range(10):
            if step % (10 + i) == 0:
                row[f"val/score_{i:02d}"] = round(step / steps + i / 100, 6)
        for i in range(10):
            if step % 5 == 0 and step >= i * 7:
                row[f"system/gpu_{i}_util"] = 50 + i
        for i in range(10):
            if step % 25 == 0:
                row[f"optim/group_{i}_lr"] = 1e-3 / (i + 1)
        for name in ("grad_norm", "tokens_per_sec", "epoch", "loss_scale", "throughput"):
            row[name] = float(step % 7)
        rows.append(row)
    return rows


def write_big(path: Path, steps: int = 100_000) -> Path:
    """A 100k-step log with 8 metrics, one spike and one NaN (written in bulk: seconds, not minutes)."""
    rng = np.random.default_rng(0)
    t = np.arange(steps)
    loss = 4.0 * np.exp(-t / (steps / 5)) + 0.4 + rng.normal(0, 0.03, steps)
    loss[int(steps * 0.6)] *= 8
    nan_at = int(steps * 0.8)
    lines = []
    for i in range(steps):
        value = "NaN" if i == nan_at else f"{loss[i]:.6f}"
        line = (
            f'{{"step": {i}, "train/loss": {value}, "train/acc": {1 - loss[i] / 5:.6f}, "lr": {3e-4 * (1 - i / steps):.8f}, '
            f'"grad_norm": {abs(1 + loss[i] / 10):.5f}, "samples_per_sec": 1000.0, "epoch": {i // 1000}, '
            f'"_timestamp": {BASE_TIME + i * 0.1:.1f}'
        )
        if i % 1000 == 0:
            line += f', "val/loss": {loss[i] + 0.05:.6f}'
        lines.append(line + "}\n")
    path.write_text("".join(lines))
    return path


def make_logs(root: Path) -> dict[str, Path]:
    """The standard log folder: healthy, a NaN run, a 50-key run (with a config), and a corrupt file."""
    paths = {
        "healthy": write_jsonl(root / "healthy.jsonl", healthy_rows(), config={"lr": 3e-4, "model": {"layers": 12}}),
        "nan-run": write_jsonl(root / "nan-run.jsonl", healthy_rows(1500, nan_at=1200)),
        "wide": write_jsonl(root / "wide.jsonl", wide_rows()),
    }
    corrupt = root / "corrupt.jsonl"
    corrupt.write_bytes(b"\x00\xff garbage {{{ not json\n" * 20)
    paths["corrupt"] = corrupt
    for order, path in enumerate(paths.values()):
        os.utime(path, (BASE_TIME + order, BASE_TIME + order))
    return paths


def make_outside(tmp: Path, root: Path) -> Path:
    """A run outside the root, reachable from inside only through symlinks."""
    outside = tmp / "outside"
    secret = write_jsonl(outside / "secret.jsonl", healthy_rows(50))
    (root / "link.jsonl").symlink_to(secret)
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    return secret


def app_for(*roots: Path, cwd: Path) -> Runwise:
    """An app reading only under `roots`, isolated from the developer's environment and config files."""
    return bootstrap(Settings.load(cwd=cwd, env={}, roots=list(roots)))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
