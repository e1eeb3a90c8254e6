"""Crafted JSONL lines that once made a whole run unreadable: each now costs at most its own line."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest

from runwise.adapters.sources.jsonl import JsonlRunSource
from runwise.adapters.sources.jsonl.parser import read_series


def _good(step: int) -> str:
    return json.dumps({"step": step, "loss": 1.0 / (step + 1)})


def _read(bad_line: str | bytes, *, at: int = 2) -> tuple[dict, tuple[str, ...]]:  # type: ignore[type-arg]
    lines = [_good(s).encode() for s in range(5)]
    lines.insert(at, bad_line if isinstance(bad_line, bytes) else bad_line.encode())
    series, report = read_series(io.BytesIO(b"\n".join(lines) + b"\n"))
    return series, report.warnings()


@pytest.mark.parametrize(
    "bad",
    [
        '{"step": 9223372036854775808, "loss": 0.5}',  # 2^63
        '{"step": 18446744073709551615, "loss": 0.5}',  # 2^64 - 1
        '{"step": 1e300, "loss": 0.5}',
        '{"step": -1e300, "loss": 0.5}',
        '{"step": 100000000000000000000000000000, "loss": 0.5}',
    ],
)
def test_a_step_beyond_int64_costs_its_line(bad: str) -> None:
    series, warnings = _read(bad)
    assert series["loss"].steps.tolist() == [0, 1, 2, 3, 4]
    assert any("step" in w and "2^63" in w for w in warnings)


def test_an_epoch_beyond_int64_costs_its_line() -> None:
    lines = [json.dumps({"epoch": e, "val_loss": 1.0}) for e in range(1, 4)] + [
        '{"epoch": 9223372036854775808, "val_loss": 0.5}'
    ]
    series, report = read_series(io.BytesIO("\n".join(lines).encode() + b"\n"))
    assert series["val_loss"].steps.tolist() == [1, 2, 3]
    assert report.bad_steps == 1


@pytest.mark.parametrize("depth", [40, 990, 1000, 1023, 1100, 5000])
def test_deeply_nested_objects_cost_at_most_their_line(depth: int) -> None:
    bad = '{"step": 2, "deep": ' + '{"a": ' * depth + "1" + "}" * depth + ', "loss": 0.3}'
    series, warnings = _read(bad, at=3)
    assert series["loss"].steps.tolist()[:3] == [0, 1, 2]
    assert set(series["loss"].steps.tolist()) == {0, 1, 2, 3, 4}
    assert warnings  # said, not silent
    assert not any(key.startswith("deep/" + "a/" * 40) for key in series)


def test_deeply_nested_object_in_a_sparse_file() -> None:
    """Sparse logs (a few of many keys per line) take the row-by-row path: same bound there."""
    lines = [json.dumps({"step": s, f"k{s}": 1.0}) for s in range(300)]
    lines.append('{"step": 300, "deep": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}")
    series, report = read_series(io.BytesIO("\n".join(lines).encode() + b"\n"))
    assert len(series) == 300 and report.too_deep == 1


def test_an_integer_beyond_float_range_costs_one_value() -> None:
    series, warnings = _read('{"step": 2, "loss": ' + "9" * 400 + ', "acc": 0.5}')
    assert series["loss"].steps.tolist() == [0, 1, 2, 3, 4]  # its own line's loss is the other "step 2"
    assert series["acc"].steps.tolist() == [2]
    assert any("too large" in w for w in warnings)


def test_one_stray_invalid_byte_costs_one_line_not_the_file(tmp_path: Path) -> None:
    lines = [_good(s).encode() for s in range(5)]
    lines.insert(1, b'{"step": 1, "note": "caf\xe9", "acc": 0.5}')  # latin-1 byte in a UTF-8 file
    (tmp_path / "m.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    source = JsonlRunSource(tmp_path)
    run = source.load_run("m")
    assert run.series["loss"].steps.tolist() == [0, 1, 2, 3, 4]
    assert run.series["acc"].steps.tolist() == [1]  # the odd line is read, its odd byte replaced


def test_a_lone_surrogate_written_by_json_dumps_costs_nothing(tmp_path: Path) -> None:
    lines = [_good(s) for s in range(5)]
    lines.insert(0, json.dumps({"step": 0, "note": "\ud800", "acc": 0.25}))  # json.dumps writes "\\ud800"
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    run = JsonlRunSource(tmp_path).load_run("m")
    assert run.series["loss"].steps.tolist() == [0, 1, 2, 3, 4]
    assert run.series["acc"].values.tolist() == [0.25]


def test_a_byte_order_mark_keeps_the_first_line(tmp_path: Path) -> None:
    lines = [_good(s) for s in range(3)]
    (tmp_path / "m.jsonl").write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    source = JsonlRunSource(tmp_path)
    run = source.load_run("m")
    assert run.series["loss"].steps.tolist() == [0, 1, 2]
    assert not run.warnings


def test_mostly_binary_content_is_still_refused(tmp_path: Path) -> None:
    from runwise.domain.errors import InvalidInput

    (tmp_path / "blob.jsonl").write_bytes(bytes(range(256)) * 64)
    with pytest.raises(InvalidInput, match="not JSON lines"):
        JsonlRunSource(tmp_path).load_run("blob")


def test_a_line_without_end_is_not_held_in_memory() -> None:
    from runwise.adapters.sources.jsonl import parser

    data = b"x" * (3 * 4096) + b"\n" + _good(1).encode() + b"\n"
    report = parser.ParseReport()
    old = parser.MAX_LINE_BYTES
    parser.MAX_LINE_BYTES = 4096
    try:
        chunks = list(parser.iter_chunks(io.BytesIO(data), report, chunk_bytes=1024))
    finally:
        parser.MAX_LINE_BYTES = old
    assert report.long_lines == 1
    assert [line for chunk in chunks for line in chunk if line] == [_good(1).encode()]


def test_nan_in_the_step_column_does_not_stop_reading() -> None:
    series, _ = _read('{"step": NaN, "loss": 0.5}')
    assert len(series["loss"]) == 5 and not any(math.isnan(v) for v in series["loss"].steps.tolist())
