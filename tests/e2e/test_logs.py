"""The e2e logs are what they claim to be."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runwise.adapters.sources.jsonl import JsonlRunSource
from tests.e2e.logs import wide_rows, write_big, write_jsonl


def test_wide_run_has_fifty_keys_with_differing_spans(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "wide.jsonl", wide_rows())
    series = JsonlRunSource(tmp_path).load_series("wide")
    assert len(series) == 50
    assert len({(len(s), s.first_step) for s in series.values()}) > 10


def test_big_run_has_100k_steps(tmp_path: Path) -> None:
    write_big(tmp_path / "big.jsonl", steps=100_000)
    run = JsonlRunSource(tmp_path).load_run("big")
    assert run.info.last_step == 99_999
    assert np.isnan(run.series["train/loss"].values).sum() == 1
