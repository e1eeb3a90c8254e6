"""The default token estimator must stay within 10% of real o200k and cl100k counts on our own output.

The oracle is bpe-openai (the `tokens` extra), which ships the real o200k_base and cl100k_base
vocabularies. The texts are Runwise's own renderings of real example runs and of a synthetic
50-metric run, in every format, plus the kinds of strings they are made of.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.tokens import BpeTokenCounter, EstimatingTokenCounter
from runwise.entrypoints.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_COMMANDS = [
    ["latest"],
    ["run", "baseline"],
    ["run", "lr-too-high"],
    ["keys", "baseline"],
    ["history", "baseline", "-k", "train/loss,val/loss"],
    ["stats", "small-data"],
    ["config", "baseline"],
    ["list"],
]
WIDE_COMMANDS = [["latest"], ["keys", "wide"], ["stats", "wide"], ["history", "wide", "-k", "group0/metric_1"]]


def _outputs(root: Path, commands: list[list[str]]) -> list[str]:
    texts = []
    for fmt in ("text", "md", "json"):
        for command in commands:
            out = io.StringIO()
            assert main(["--dir", str(root), "--format", fmt, "--no-color", *command], stdout=out) == 0
            texts.append(out.getvalue())
    return texts


def _wide_run(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    lines = []
    for step in range(0, 3000, 3):
        row = {"step": step, **{f"group{g}/metric_{m}": float(rng.normal()) for g in range(5) for m in range(10)}}
        lines.append(__import__("json").dumps(row))
    (tmp_path / "wide.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_estimate_within_ten_percent_of_real_bpe(encoding: str, tmp_path: Path) -> None:
    exact = BpeTokenCounter(encoding)
    estimate = EstimatingTokenCounter()
    texts = _outputs(EXAMPLES, EXAMPLE_COMMANDS) + _outputs(_wide_run(tmp_path), WIDE_COMMANDS)
    for text in texts:
        real, guess = exact.count(text), estimate.count(text)
        assert abs(guess - real) <= 0.10 * real + 2, (real, guess, text[:200])


@pytest.mark.parametrize(
    "text",
    ["train/loss 0.6271 ▁▂▃▅▇█ ↓", "| key | last |\n|---|---|\n| val/acc | 81.23% |", '{"lr": 3e-04, "step": 100000}'],
)
def test_estimate_on_building_blocks(text: str) -> None:
    real = BpeTokenCounter().count(text)
    assert abs(EstimatingTokenCounter().count(text) - real) <= max(2, 0.15 * real)
