"""One CRC-valid `.wandb` history item with a malformed value text costs that item, not the run.

The run is written by the real `wandb` package (offline); a logged string of known length is then
overwritten in place with the hostile value text and the chunk CRCs recomputed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runwise.adapters.sources.wandb_local import WandbLocalRunSource
from tests.contract.seeders.wandb import cached_runs
from tests.robustness.crafting import padded, replace_in_wandb

WIDTH = 4000  # under the size up to which a value is kept for the summary
MARKER = b'"' + b"P" * (WIDTH - 2) + b'"'


@pytest.fixture(scope="module")
def written() -> Path:
    rows = [[s, {"loss": 1.0 / (s + 1), "acc": s / 10}] for s in range(10)]
    for step, row in rows:
        row["probe"] = float(step)
    rows[-1][1]["probe"] = "P" * (WIDTH - 2)  # the last write: what the summary shows
    return cached_runs({"runs": [{"id": "valuefuzz", "name": "valuefuzz", "rows": rows}]})


HOSTILE = {
    "nonsense": "Nonsense",
    "nana": "NaNa",
    "digits": "9" * 400,
    "deep_array": "[" * 1990 + "]" * 1990,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_malformed_value_text_costs_one_item(written: Path, tmp_path: Path, name: str) -> None:
    shutil.copytree(written / "wandb", tmp_path / "wandb", symlinks=True, ignore=shutil.ignore_patterns("latest-run"))
    (run_file,) = tmp_path.glob("wandb/*/run-valuefuzz.wandb")
    replace_in_wandb(run_file, MARKER, padded(HOSTILE[name], WIDTH))
    source = WandbLocalRunSource(tmp_path)
    (info,) = source.list_runs()
    run = source.load_run(info.id)
    assert run.series["loss"].steps.tolist() == list(range(10))
    assert run.series["acc"].values[-1] == pytest.approx(0.9)
    assert run.series["probe"].steps.tolist() == list(range(9))  # the other points of that key stay
    assert "probe" not in run.summary or isinstance(run.summary["probe"], float | int | str)
