"""Names and values a log chose reach the output safely (issue 10 point 9, output items)."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import pytest

from runwise.adapters.tokens import EstimatingTokenCounter
from runwise.entrypoints.cli import main


def _cli(root: Path, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(root), "--no-color", *argv], stdout=out), out.getvalue()


def _log(path: Path | bytes, rows: list[dict[str, float]]) -> None:
    text = "\n".join(json.dumps({"step": i, **row}) for i, row in enumerate(rows)) + "\n"
    with open(path, "w") as handle:
        handle.write(text)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_a_non_utf8_file_name_does_not_break_json(tmp_path: Path) -> None:
    _log(os.fsencode(tmp_path) + b"/caf\xe9.jsonl", [{"loss": 1.0}, {"loss": 0.5}])
    code, out = _cli(tmp_path, "--format", "json", "list")
    assert code == 0
    (run,) = json.loads(out)["runs"]
    assert run["name"].startswith("caf")
    code, out = _cli(tmp_path, "--format", "json", "run", "latest")
    assert code == 0 and json.loads(out)["metrics"]


def test_control_characters_in_names_are_escaped_in_text(tmp_path: Path) -> None:
    _log(tmp_path / "two\nlines.jsonl", [{"loss\x1b[31m": 1.0, "acc": 0.5}])
    code, out = _cli(tmp_path, "list")
    assert code == 0 and len(out.strip().splitlines()) == 2  # header + one row, not split by the newline
    assert "two\\nlines" in out
    code, out = _cli(tmp_path, "stats", "latest")
    assert "\x1b" not in out and "loss\\x1b[31m" in out


def test_a_5000_character_key_does_not_pad_the_summary(tmp_path: Path) -> None:
    _log(tmp_path / "run.jsonl", [{"k" * 5000: 1.0 / (i + 1), "loss": 2.0 / (i + 1)} for i in range(20)])
    code, out = _cli(tmp_path, "run", "latest")
    assert code == 0 and len(out) < 4000
    assert EstimatingTokenCounter().count(out) <= 400


def test_last_of_an_all_nan_series_is_nan_like_a_series_ending_in_nan(tmp_path: Path) -> None:
    nan = float("nan")
    _log(tmp_path / "run.jsonl", [{"a": nan, "b": 1.0}, {"a": nan, "b": nan}])
    code, out = _cli(tmp_path, "--format", "json", "stats", "latest")
    assert code == 0
    last = {row["key"]: row["last"] for row in json.loads(out)["stats"]}
    assert last["a"] == last["b"] == "NaN" or (math.isnan(last["a"]) and math.isnan(last["b"]))
