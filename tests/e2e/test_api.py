from __future__ import annotations

from pathlib import Path

import numpy as np

import runwise
from runwise.adapters.tokens import EstimatingTokenCounter

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_python_api_on_examples() -> None:
    text = runwise.summarize("baseline", dir=EXAMPLES)
    assert text.startswith("**baseline**") and EstimatingTokenCounter().count(text) <= 400
    run = runwise.load("lr-too-high", dir=EXAMPLES)
    assert np.isnan(run.series["train/loss"].values).any()
    names = [i.name for i in runwise.list_runs(dir=EXAMPLES)]
    assert {"baseline", "small-data", "lr-too-high"} <= set(names)
    assert runwise.summarize(dir=EXAMPLES).startswith(f"**{names[0]}**")  # latest is the newest listed
    assert "train/loss" in runwise.keys("baseline", dir=EXAMPLES)
    assert "train/loss" in runwise.stats("baseline", ["train/loss"], dir=EXAMPLES)
