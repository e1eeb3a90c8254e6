from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwise.adapters.sources.jsonl.parser import read_series


def _read(lines: list[str], step_key: str | None = None, newline_at_end: bool = True):  # type: ignore[no-untyped-def]
    data = "\n".join(lines) + ("\n" if newline_at_end else "")
    return read_series(io.BytesIO(data.encode()), step_key)


@pytest.mark.parametrize("key", ["step", "_step", "global_step", "iteration", "iter"])
def test_step_field_precedence(key: str) -> None:
    series, _ = _read([json.dumps({key: s * 10, "epoch": 0, "loss": 1.0 / (s + 1)}) for s in range(5)])
    assert series["loss"].steps.tolist() == [0, 10, 20, 30, 40]
    assert key not in series and "epoch" in series


def test_step_beats_global_step_and_config_overrides() -> None:
    lines = [json.dumps({"global_step": s * 2, "step": s, "loss": 1.0}) for s in range(3)]
    assert _read(lines)[0]["loss"].steps.tolist() == [0, 1, 2]
    assert _read(lines, step_key="global_step")[0]["loss"].steps.tolist() == [0, 2, 4]


def test_epoch_is_the_step_only_when_it_grows_every_line() -> None:
    per_epoch = [json.dumps({"epoch": e, "val_loss": 1.0}) for e in range(1, 4)]
    assert _read(per_epoch)[0]["val_loss"].steps.tolist() == [1, 2, 3]
    repeated = [json.dumps({"epoch": e // 2, "loss": 1.0}) for e in range(4)]
    series, _ = _read(repeated)
    assert series["loss"].steps.tolist() == [0, 1, 2, 3]  # record index, nothing lost


def test_no_step_field_uses_record_index() -> None:
    series, _ = _read([json.dumps({"loss": v}) for v in (3.0, 2.0, 1.0)])
    assert series["loss"].steps.tolist() == [0, 1, 2]


def test_nested_objects_flatten_and_non_numeric_values_are_not_series() -> None:
    series, _ = _read(
        [json.dumps({"step": 1, "train": {"loss": 0.5, "opt": {"lr": 0.1}}, "tag": "x", "ok": True, "img": [1, 2]})]
    )
    assert set(series) == {"train/loss", "train/opt/lr"}


def test_nan_infinity_and_null() -> None:
    lines = [
        '{"step": 0, "loss": NaN, "acc": 0.5, "note": "NaN, Infinity"}',
        '{"step": 1, "loss": Infinity, "acc": null}',
        '{"step": 2, "loss": -Infinity, "acc": 0.7}',
    ]
    series, report = _read(lines)
    loss = series["loss"].values
    assert math.isnan(loss[0]) and loss[1] == math.inf and loss[2] == -math.inf
    assert series["acc"].steps.tolist() == [0, 2]  # null means "not logged at this step"
    assert report.malformed == 0


def test_sparse_keys_keep_their_steps() -> None:
    lines = [json.dumps({"step": s, "loss": 1.0, **({"val/loss": 2.0} if s % 1000 == 0 else {})}) for s in range(3001)]
    series, _ = _read(lines)
    assert series["val/loss"].steps.tolist() == [0, 1000, 2000, 3000]
    assert len(series["loss"]) == 3001


def test_malformed_lines_are_skipped_counted_and_reported() -> None:
    lines = [json.dumps({"step": 0, "loss": 1.0}), "{oops", "[1, 2]", "", json.dumps({"step": 1, "loss": 0.5})]
    series, report = _read(lines)
    assert series["loss"].values.tolist() == [1.0, 0.5]
    assert report.malformed == 2 and report.first_malformed_line == 2
    assert "skipped 2 malformed lines (first at line 2)" in report.warnings()


def test_partial_last_line_is_ignored_and_reported() -> None:
    lines = [json.dumps({"step": s, "loss": 1.0}) for s in range(3)] + ['{"step": 3, "lo']
    series, report = _read(lines, newline_at_end=False)
    assert series["loss"].steps.tolist() == [0, 1, 2]
    assert report.partial_tail and report.malformed == 0


def test_complete_last_line_without_newline_is_read() -> None:
    series, report = _read([json.dumps({"step": s, "loss": 1.0}) for s in range(3)], newline_at_end=False)
    assert len(series["loss"]) == 3 and not report.partial_tail


def test_resumed_training_later_write_wins() -> None:
    lines = [json.dumps({"step": s, "loss": float(s)}) for s in (0, 1, 2, 3)]
    lines += [json.dumps({"step": s, "loss": float(s) + 100}) for s in (2, 3, 4)]
    series, _ = _read(lines)
    assert series["loss"].steps.tolist() == [0, 1, 2, 3, 4]
    assert series["loss"].values.tolist() == [0.0, 1.0, 102.0, 103.0, 104.0]


def test_config_lines_are_config() -> None:
    _, report = _read([json.dumps({"config": {"lr": 0.1}}), json.dumps({"step": 0, "loss": 1.0})])
    assert report.config == {"lr": 0.1}


def test_many_chunks_give_the_same_series() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=20_000)
    lines = [json.dumps({"step": i, "x": float(v)}) for i, v in enumerate(values)]
    data = ("\n".join(lines) + "\n").encode()
    from runwise.adapters.sources.jsonl import parser

    report = parser.ParseReport()
    builder = parser.ColumnBuilder("step")
    for chunk in parser.iter_chunks(io.BytesIO(data), report, chunk_bytes=4096):
        builder.add(parser.parse_lines(chunk, report))
    got = builder.build()["x"]
    np.testing.assert_array_equal(got.values, values)
    np.testing.assert_array_equal(got.steps, np.arange(20_000))


# --- the 2-D table path (keys every row logs) against a line-by-line reading ------------------------------------

_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.just(10**400),  # beyond a float: counted, not a point
    st.booleans(),
    st.none(),
    st.sampled_from(["train", "NaN", ""]),
    st.fixed_dictionaries({"x": st.floats(allow_nan=False, allow_infinity=False)}),
    st.lists(st.integers(0, 9), max_size=2),
)
_KEYS = ("loss", "acc", "lr", "val/loss", "phase")
_FLOAT_MAX = 1.7976931348623157e308


def _expected_points(rows: list[dict[str, object]]) -> dict[str, dict[int, float]]:
    """What a line-by-line reading keeps: plain numbers a float can hold, nested keys joined with `/`."""
    out: dict[str, dict[int, float]] = {}

    def visit(step: int, node: dict[str, object], prefix: str) -> None:
        for key, value in node.items():
            if not prefix and key == "step":
                continue
            if isinstance(value, dict):
                visit(step, value, prefix + key + "/")
            elif type(value) is float or (type(value) is int and abs(value) <= _FLOAT_MAX):  # type: ignore[operator]
                out.setdefault(prefix + key, {})[step] = float(value)  # type: ignore[arg-type]

    for row in rows:
        visit(int(row["step"]), row, "")  # type: ignore[call-overload]
    return out


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.dictionaries(st.sampled_from(_KEYS), _VALUES, min_size=0, max_size=len(_KEYS)), min_size=1, max_size=60
    ),
    common=st.lists(st.sampled_from(_KEYS[:3]), unique=True),
    chunk=st.sampled_from([64, 512, 1 << 20]),
)
def test_table_and_column_paths_keep_what_a_line_by_line_reading_keeps(
    rows: list[dict[str, object]], common: list[str], chunk: int
) -> None:
    """Keys on every row (`common`) plus keys on some rows, any value types, any chunk size: the same points."""
    from runwise.adapters.sources.jsonl import parser

    full = [{"step": i, **{k: 0.5 * i for k in common}, **row} for i, row in enumerate(rows)]
    data = b"".join(json.dumps(row).encode() + b"\n" for row in full)
    report = parser.ParseReport()
    builder = parser.ColumnBuilder("step", report=report)
    for lines in parser.iter_chunks(io.BytesIO(data), report, chunk_bytes=chunk):
        builder.add(parser.parse_lines(lines, report))
    got = builder.build()
    expected = _expected_points(full)
    assert sorted(got) == sorted(expected)
    for key, points in expected.items():
        assert got[key].steps.tolist() == sorted(points), key
        np.testing.assert_array_equal(got[key].values, [points[s] for s in sorted(points)], err_msg=key)
    huge = sum(1 for row in full for v in row.values() if type(v) is int and abs(v) > _FLOAT_MAX)
    assert report.bad_values == huge


def test_keys_on_some_rows_share_nothing_but_keep_the_rows_wall_times() -> None:
    lines = [
        json.dumps({"step": s, "_timestamp": 1000.0 + s, "loss": 1.0 / (s + 1), **({"val": 2.0} if s % 3 == 0 else {})})
        for s in range(30)
    ]
    series, _ = _read(lines)
    assert np.shares_memory(series["loss"].steps, series["_timestamp"].steps)
    assert series["val"].steps.tolist() == list(range(0, 30, 3))
    assert series["val"].wall_time is not None and series["val"].wall_time.tolist() == [
        1000.0 + s for s in range(0, 30, 3)
    ]


def test_nan_and_infinity_on_every_row_stay_in_the_table() -> None:
    lines = [f'{{"step": {s}, "loss": NaN, "gn": Infinity, "lo": -Infinity, "x": {s}}}' for s in range(5)]
    series, report = _read(lines)
    assert np.isnan(series["loss"].values).all() and (series["gn"].values == math.inf).all()
    assert (series["lo"].values == -math.inf).all() and series["x"].values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert report.warnings() == ()


def test_a_key_that_is_a_number_on_some_rows_and_an_object_on_others() -> None:
    """Used to crash the column path (the objects reached the float conversion)."""
    series, _ = _read(
        [
            json.dumps({"step": 0, "loss": 1.0}),
            json.dumps({"step": 1, "loss": {"x": 2.0}}),
            '{"step": 2, "loss": NaN, "h": [1]}',
        ]
    )
    assert series["loss"].steps.tolist() == [0, 2] and math.isnan(series["loss"].values[1])
    assert series["loss/x"].steps.tolist() == [1] and "h" not in series


def test_the_garbage_collector_is_left_as_it_was() -> None:
    """Parsing turns the cyclic collector off for speed; it must come back on, even when reading fails."""
    import gc

    class Failing(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError("disk gone")

    assert gc.isenabled()
    _read([json.dumps({"step": 1, "loss": 0.5})])
    with pytest.raises(OSError):
        read_series(Failing())
    assert gc.isenabled()
    gc.disable()
    try:
        _read([json.dumps({"step": 1, "loss": 0.5})])
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("long_at_end", [False, True])
def test_lines_keep_their_numbers_across_small_blocks(monkeypatch: pytest.MonkeyPatch, long_at_end: bool) -> None:
    """A log read in many small blocks, with an over-long line skipped between them: a malformed line's number is
    its line in the file, and every line is counted once."""
    from runwise.adapters.sources.jsonl import parser

    monkeypatch.setattr(parser, "MAX_LINE_BYTES", 4096)
    good = [json.dumps({"step": s, "loss": 1.0 / (s + 1), "acc": s / 100}) for s in range(60)]
    long_line = json.dumps({"step": 999, "note": "x" * 5000})
    lines = [*good[:10], "{bad", long_line, *good[10:]]
    if long_at_end:
        lines.append(long_line)
    data = ("\n".join(lines) + "\n").encode()
    series, report = read_series(io.BytesIO(data), chunk_bytes=256)
    assert report.warnings()[0] == "skipped 1 malformed line (first at line 11)"
    assert report.long_lines == 1 + long_at_end and report.lines == len(lines)
    assert series["loss"].steps.tolist() == list(range(60))
    assert series["acc"].values.tolist() == [s / 100 for s in range(60)]
