"""One CRC-valid `.wandb` history item with a malformed value text costs that item, not the run, and the
run says how many values it could not read; a `.wandb` file that is not a W&B run file at all is named in
one notice, not listed as a run (issue 10 point 9).

The runs are written by the real `wandb` package (offline); a logged string of known length is then
overwritten in place with the hostile value text and the chunk CRCs recomputed.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from runwise.adapters.sources.wandb_local import WandbLocalRunSource
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.entrypoints.cli.main import main
from tests.contract.seeders.wandb import cached_runs
from tests.robustness.crafting import padded, replace_in_wandb

LONG = 4000  # under the size up to which a value is kept for the summary: decoded item by item
SHORT = 12  # a value text as short as a number's: decoded with the row's other values at once


def _marker(width: int) -> bytes:
    return b'"' + b"P" * (width - 2) + b'"'


def _rows(width: int) -> list[list[object]]:
    rows: list[list[object]] = [[s, {"loss": 1.0 / (s + 1), "acc": s / 10, "probe": float(s)}] for s in range(10)]
    rows[-1][1]["probe"] = "P" * (width - 2)  # type: ignore[index]  # the last write: what the summary shows
    return rows


@pytest.fixture(scope="module")
def written() -> Path:
    return cached_runs(
        {
            "runs": [
                {"id": "valuefuzz", "name": "valuefuzz", "rows": _rows(LONG)},
                {"id": "shortfuzz", "name": "shortfuzz", "rows": _rows(SHORT)},
            ]
        }
    )


HOSTILE = {
    "nonsense": ("Nonsense", (LONG, SHORT)),
    "nana": ("NaNa", (LONG, SHORT)),
    "digits": ("9" * 400, (LONG,)),
    "deep_array": ("[" * 1990 + "]" * 1990, (LONG,)),
}
CASES = [(name, width) for name, (_, widths) in sorted(HOSTILE.items()) for width in widths]


def _copy(written: Path, tmp_path: Path, run_id: str) -> Path:
    shutil.copytree(written / "wandb", tmp_path / "wandb", symlinks=True, ignore=shutil.ignore_patterns("latest-run"))
    for other in tmp_path.glob("wandb/*run-*"):
        if not other.name.endswith(run_id):
            shutil.rmtree(other)
    (run_file,) = tmp_path.glob(f"wandb/*/run-{run_id}.wandb")
    return run_file


@pytest.mark.parametrize(("name", "width"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_a_malformed_value_text_costs_one_item_and_is_counted(
    written: Path, tmp_path: Path, name: str, width: int
) -> None:
    run_id = "valuefuzz" if width == LONG else "shortfuzz"
    run_file = _copy(written, tmp_path, run_id)
    replace_in_wandb(run_file, _marker(width), padded(HOSTILE[name][0], width))
    source = WandbLocalRunSource(tmp_path)
    (info,) = source.list_runs()
    run = source.load_run(info.id)
    assert run.series["loss"].steps.tolist() == list(range(10))
    assert run.series["acc"].values[-1] == pytest.approx(0.9)
    assert run.series["probe"].steps.tolist() == list(range(9))  # the other points of that key stay
    assert "probe" not in run.summary or isinstance(run.summary["probe"], float | int | str)
    assert [w for w in run.warnings if "could not be read" in w] == [
        "1 logged value could not be read (malformed value text); skipped"
    ]


def test_the_count_reaches_the_run_summary(written: Path, tmp_path: Path) -> None:
    run_file = _copy(written, tmp_path, "shortfuzz")
    replace_in_wandb(run_file, _marker(SHORT), padded("NaNa", SHORT))
    out = io.StringIO()
    app = bootstrap(Settings.load(cwd=tmp_path, env={"RUNWISE_NO_CACHE": "1"}, dir=str(tmp_path)))
    assert main(["--no-color", "run", "shortfuzz"], app=app, stdout=out) == 0
    assert "1 logged value could not be read" in out.getvalue()


def test_an_intact_run_has_no_such_warning(written: Path, tmp_path: Path) -> None:
    _copy(written, tmp_path, "shortfuzz")
    source = WandbLocalRunSource(tmp_path)
    run = source.load_run("shortfuzz")
    assert not [w for w in run.warnings if "could not be read" in w]
    assert run.series["probe"].steps.tolist() == list(range(9))  # the string is not a point, nor a failure


@pytest.mark.parametrize(
    "garbage", [b"\x00" * 7, b"GARBAGE" * 40, b"PK\x03\x04 zip file"], ids=["zeros", "text", "zip"]
)
def test_a_file_with_a_garbage_header_is_a_notice_not_a_run(
    written: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], garbage: bytes
) -> None:
    shutil.copytree(written / "wandb", tmp_path / "wandb", symlinks=True, ignore=shutil.ignore_patterns("latest-run"))
    (bad,) = tmp_path.glob("wandb/*/run-shortfuzz.wandb")
    raw = bad.read_bytes()
    bad.write_bytes(garbage + raw[len(garbage) :])
    out = io.StringIO()
    assert main(["--dir", str(tmp_path), "--no-color", "list"], stdout=out) == 0
    listed = out.getvalue()
    assert "valuefuzz" in listed and "shortfuzz" not in listed
    err = [line for line in capsys.readouterr().err.splitlines() if line]
    (notice,) = [line for line in err if "run-shortfuzz.wandb" in line]
    assert "not a W&B run file" in notice and "sync the run again or move the file away" in notice


def test_a_file_shorter_than_the_header_is_a_run_starting(written: Path, tmp_path: Path) -> None:
    run_file = _copy(written, tmp_path, "shortfuzz")
    run_file.write_bytes(run_file.read_bytes()[:3])
    (info,) = WandbLocalRunSource(tmp_path).list_runs()
    assert info.id == "shortfuzz"
