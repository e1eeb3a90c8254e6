"""The flat path (chunks of plain metric lines decoded without a dict per line) reads exactly what the dict path
reads: same series bit for bit, same steps, wall times and warnings, whatever the chunk holds."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwise.adapters.sources.jsonl import flat, parser


def _dict_path(data: bytes, step_key: str | None = None, chunk: int = parser.CHUNK_BYTES) -> tuple[Any, Any]:
    """The reading without the flat path: every chunk decoded as row dicts."""
    report = parser.ParseReport()
    builder = None
    for block in parser.iter_blocks(io.BytesIO(data), report, chunk):
        rows = parser._split_config(parser.parse_block(block, report), report)
        if builder is None:
            if not rows:
                continue
            builder = parser.ColumnBuilder(parser.choose_step_key(rows[:1000], step_key), report=report)
        builder.add(rows)
    if builder is not None:
        report.records, report.last_step = builder.record_index, builder.last_step
    return (builder.build() if builder else {}), report


def _flat_path(data: bytes, step_key: str | None = None, chunk: int = parser.CHUNK_BYTES) -> tuple[Any, Any]:
    return parser.read_series(io.BytesIO(data), step_key, chunk_bytes=chunk)


def _same(data: bytes, step_key: str | None = None, chunk: int = parser.CHUNK_BYTES) -> dict[str, Any]:
    want, want_report = _dict_path(data, step_key, chunk)
    got, got_report = _flat_path(data, step_key, chunk)
    assert sorted(got) == sorted(want)
    for key, series in want.items():
        other = got[key]
        np.testing.assert_array_equal(other.steps, series.steps, err_msg=key)
        assert other.values.tobytes() == series.values.tobytes(), key  # bit for bit: -0.0 and NaN too
        if series.wall_time is None:
            assert other.wall_time is None, key
        else:
            assert other.wall_time is not None and other.wall_time.tobytes() == series.wall_time.tobytes(), key
    assert got_report.warnings() == want_report.warnings()
    assert (got_report.lines, got_report.records, got_report.last_step) == (
        want_report.lines,
        want_report.records,
        want_report.last_step,
    )
    return got  # type: ignore[no-any-return]


def _lines(rows: list[dict[str, Any]], **dumps: Any) -> bytes:
    return b"".join(json.dumps(row, **dumps).encode() + b"\n" for row in rows)


def test_a_plain_log_takes_the_flat_path() -> None:
    block = _lines([{"step": s, "loss": 1.0 / (s + 1), "_timestamp": 1e9 + s} for s in range(50)]).rstrip(b"\n")
    chunk = flat.decode_flat(block)
    assert chunk is not None and chunk.lines == 50 and chunk.first_keys == ("step", "loss", "_timestamp")


@pytest.mark.parametrize(
    "line",
    [
        '{"step": 1, "loss": "high"}',  # a string
        '{"step": 1, "loss": true}',  # a boolean
        '{"step": 1, "loss": null}',  # null
        '{"step": 1, "m": {"a": 1}}',  # nested
        '{"step": 1, "loss": [1, 2]}',  # a list
        '{"step": 1, "lo\\u0073s": 1}',  # an escape
        '{"step": 1, "loss": 1, "loss": 2}',  # a key twice
        '{"step" : 1, "loss": 1}',  # space before the colon
        '{ "step": 1}',  # space after the brace
        "{}",
        '{"step": 1, "loss": 1e999999}',
        '{"step": 1, "loss": 1 2}',
        '{"step": 1, "loss": NaNx}',
        '{"step": 1, "loss": -NaN}',
        '{"step": 1, "loss": 123456789012345678901234567890123}',  # longer than a row
    ],
)
def test_anything_but_plain_numbers_leaves_the_chunk_to_the_dict_path(line: str) -> None:
    block = ('{"step": 0, "loss": 0.5}\n' + line).encode()
    assert flat.decode_flat(block) is None
    _same(block + b"\n")


@pytest.mark.parametrize(
    "text",
    [
        '{"step": 0, "a": NaN, "b": Infinity, "c": -Infinity}\n{"step": 1, "a": 1, "b": 2, "c": 3}\n',
        '{"step": 0, "_timestamp": NaN, "x": 1}\n{"step": 1, "_timestamp": 5, "x": 2}\n',  # not the wall clock
        '{"step": NaN, "x": 1}\n{"step": 4, "x": 2}\n',  # a NaN step takes the previous one
        '{"step": 1.0, "x": 1}\n{"step": 2.5, "x": 2}\n',
        '{"step": 9007199254740993, "x": 1}\n{"step": 9007199254740994, "x": 2}\n',  # beyond float64's integers
        '{"step": 3, "x": -0}\n{"step": 4, "x": -0.0}\n{"step": 5, "x": 0}\n',
        '{"x": 1, "step": 3}\n{"step": 3, "x": 2}\n',  # same keys, another order
        '{"step": 1, "x": 1}\n{"x": 2}\n',  # a line without the step
        '{"step": 1, "config": 2}\n{"step": 2, "config": 3}\n',  # a metric called config
        '{"config": {"lr": 0.1}}\n{"step": 1, "x": 1}\n{"step": 2, "x": 2}\n',
        '{"step":1,"x":1.5}\n{"step":2,"x":2.5}\n',  # compact separators
        '{"step": 1, "x": 1 }\n{"step": 2, "x": 2 }\n',
        '{"step": 1, "a{b}": 1, "c:d,e": 2}\n{"step": 2, "a{b}": 3, "c:d,e": 4}\n',
        '{"step": 1, "\xe9t\xe9": 1}\n{"step": 2, "\xe9t\xe9": 2}\n',
        '{"step": 1, "x": 18446744073709551615}\n{"step": 2, "x": -9223372036854775808}\n',
        '{"step": 1, "x": 1}\r\n{"step": 2, "x": 2}\r\n',
        '{"step": 1, "x": 1}\n\n{"step": 2, "x": 2}\n',
        '{"step": 1, "x": 1}\n{"step": 2, "x": 2}',  # no newline at the end
        '{"step": 1, "x": 1}\n{"step": 2, "x": ',  # a half-written last line
    ],
)
def test_odd_chunks_read_as_the_dict_path_reads_them(text: str) -> None:
    _same(text.encode())


def test_validation_keys_every_few_lines_and_restarts() -> None:
    rows = [
        {"step": s % 70, "loss": s * 0.25, "_timestamp": 1e9 + s, **({"val": -s} if s % 7 == 0 else {})}
        for s in range(200)
    ]
    got = _same(_lines(rows), chunk=1024)
    assert got["val"].steps.size == len({s % 70 for s in range(0, 200, 7)})


def test_many_layouts_and_no_step_key() -> None:
    rows = [{f"k{j}": float(s * j) for j in range(s % 11 + 1)} for s in range(300)]
    _same(_lines(rows), chunk=4096)


_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3)),
)
_ODD = st.one_of(_NUMBERS, st.booleans(), st.none(), st.just("x"), st.just({"a": 1.0}), st.just(10**400))
_KEYS = ("loss", "acc", "lr", "val/loss", "_timestamp", "epoch")


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.dictionaries(st.sampled_from(_KEYS), _NUMBERS, max_size=len(_KEYS)), min_size=1, max_size=80),
    odd=st.lists(st.tuples(st.integers(0, 79), st.sampled_from(_KEYS), _ODD), max_size=2),
    common=st.lists(st.sampled_from(_KEYS), unique=True, max_size=4),
    chunk=st.sampled_from([256, 2048, 1 << 20]),
    compact=st.booleans(),
    step=st.sampled_from(["step", None]),
)
def test_any_log_reads_the_same_either_way(
    rows: list[dict[str, Any]],
    odd: list[tuple[int, str, Any]],
    common: list[str],
    chunk: int,
    compact: bool,
    step: str | None,
) -> None:
    full = [{**({"step": i} if step else {}), **{k: 0.5 * i for k in common}, **row} for i, row in enumerate(rows)]
    for at, key, value in odd:
        if at < len(full):
            full[at][key] = value
    data = _lines(full, separators=(",", ":") if compact else None)
    _same(data, chunk=chunk)
