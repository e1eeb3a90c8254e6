"""The array-pass decoder of neptune 1.x LogFloats lines gives what orjson line by line gives, whatever the log.

The base log is one the real neptune client wrote offline (parameters, two float series, its stderr
capture); lines of shapes the bulk path must hand over or take (a null step, a fractional or negative
step, an `extend` batch, paths with a colon or an escaped character, a value that is not a number,
damaged lines) are appended the way the client writes them (`json.dumps`, one object a line). Each
result is compared with the same folder read with every line going to orjson.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from runwise.adapters import cores as cores_module
from runwise.adapters.sources.neptune import offline, offline_blocks
from runwise.adapters.sources.neptune.offline_blocks import Leftover, blocks
from runwise.adapters.sources.neptune.offline_points import LogPoints, decode_log
from tests import neptune_writers
from tests.contract.spec import RunSpec, SeriesSpec

STEPS = tuple(range(40))
SPEC = RunSpec(
    name="bulk",
    config={"lr": 0.1},
    series={
        "train/loss": SeriesSpec(STEPS, tuple(1.0 / (s + 1) for s in STEPS)),
        "val/acc": SeriesSpec(STEPS[::4], tuple(-s / 7e5 for s in STEPS[::4])),
    },
)
JOB = neptune_writers.job_of("offline", [SPEC])
neptune_writers.SESSION_JOBS.append(JOB)


def _line(kind: str, path: list[str], version: int, **obj: object) -> str:
    return json.dumps({"obj": {"type": kind, "path": path, **obj}, "version": version, "at": 1.9e9 + version}) + "\n"


def _point(path: list[str], value: object, step: object, version: int) -> str:
    return _line("LogFloats", path, version, values=[{"value": value, "step": step, "ts": 1796516056.5 + version}])


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    written, _ = neptune_writers.cached(JOB)
    (source,) = written.glob(".neptune/offline/run__*")
    target = tmp_path / source.name
    shutil.copytree(source, target)
    yield target


def _every_line_by_orjson(data: NDArray[np.uint8], size: int) -> LogPoints:
    whole = data[:size].tobytes()
    size = whole.rfind(b"\n") + 1
    lines = [line for line in whole[:size].split(b"\n") if line]
    empty = np.empty(0)
    return LogPoints(
        [], np.empty(0, dtype=np.int64), empty, empty, empty, np.empty(0, dtype=np.int64), lines, consumed=size
    )


def _assert_reads_as_orjson(folder: Path, monkeypatch: pytest.MonkeyPatch) -> offline.NeptuneRun:
    got = offline.read_offline(folder, now=0.0)
    with monkeypatch.context() as patch:
        patch.setattr(offline, "decode_log", _every_line_by_orjson)
        want = offline.read_offline(folder, now=0.0)
    assert got.series.keys() == want.series.keys()
    for key, series in want.series.items():
        np.testing.assert_array_equal(got.series[key].steps, series.steps)
        assert got.series[key].values.tobytes() == series.values.tobytes(), key
        np.testing.assert_array_equal(got.series[key].wall_time, series.wall_time)
    assert (got.config, got.tags, got.state, got.warnings, got.updated_at) == (
        want.config,
        want.tags,
        want.state,
        want.warnings,
        want.updated_at,
    )
    return got


def _append(folder: Path, lines: list[str]) -> None:
    (log,) = folder.glob("data-*.log")
    with log.open("a") as fh:
        fh.writelines(lines)


def test_the_clients_log_reads_as_line_by_line(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _assert_reads_as_orjson(folder, monkeypatch)
    assert run.series["train/loss"].values.tolist() == [1.0 / (s + 1) for s in STEPS]
    (log,) = folder.glob("data-*.log")
    with log.open("rb") as fh:
        (block,) = blocks(fh, Leftover())
    taken = decode_log(*block)
    assert taken.code.size == len(STEPS) + len(STEPS[::4])  # every point by the array passes
    assert not any(b'"LogFloats"' in line for line in taken.others)


def test_lines_of_every_shape_read_as_line_by_line(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _append(
        folder,
        [
            _point(["train", "loss"], 0.015625, None, 9001),  # no step: the last step + 1
            _point(["train", "loss"], 2.5e-300, 41.5, 9002),  # a fractional step
            _point(["neg"], -1.0, -3, 9003),
            _point(["a:b", "c"], 1.0, 0, 9004),  # a colon inside the path
            _point(["café", "x"], 1.5, 0, 9005),  # written escaped by json.dumps
            _line(
                "LogFloats",
                ["batch"],
                9006,
                values=[{"value": 1.0, "step": 0, "ts": 1.0}, {"value": 2.0, "step": 1, "ts": 2.0}],
            ),
            _point(["train", "loss"], 7.0, 50, 9007),
            '{"obj": {"type": "LogFloats", "path": ["train", "loss"], "values": [{"value": 9.0, "step": 60, "ts"\n',
            "not json at all\n",
            "\n",
            _line("ClearFloatLog", ["neg"], 9008),
            _point(["neg"], 4.0, 1, 9009),
        ],
    )
    run = _assert_reads_as_orjson(folder, monkeypatch)
    assert run.series["neg"].values.tolist() == [4.0]
    assert run.series["batch"].values.tolist() == [1.0, 2.0] and "café/x" in run.series and "a:b/c" in run.series


@pytest.mark.parametrize(
    "line",
    [
        _point(["train", "loss"], True, 41, 9001),  # a bool is no float: the whole log goes to orjson
        _point(["train", "loss"], "1.0", 41, 9001),
        _point(["train", "loss"], 1.0, 10**16, 9001),  # a step too long for the digit reader
        _point([], 1.0, 41, 9001),  # a path that is no attribute
        _point(["train", "loss"], [1.0], 41, 9001),
    ],
)
def test_lines_that_are_not_plain_points_read_as_line_by_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    _append(folder, [line, _point(["train", "loss"], 3.0, 45, 9002)])
    _assert_reads_as_orjson(folder, monkeypatch)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_log_read_in_small_chunks_reads_as_line_by_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    _append(folder, [_line("AssignString", ["sys", "description"], 9001, value="x" * 900)])  # longer than a chunk
    monkeypatch.setattr(offline, "_CHUNK", 512)
    monkeypatch.setattr(offline_blocks, "WORKERS", workers)
    run = _assert_reads_as_orjson(folder, monkeypatch)
    assert run.notes == "x" * 900 and len(run.series["train/loss"]) == len(STEPS)


@pytest.mark.parametrize("chunk", [512, offline_blocks.BLOCK])
def test_steps_and_versions_of_every_length_read_as_line_by_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Whole numbers of 1 to 8 digits are read eight bytes at a time, longer ones (up to 15) digit column by digit
    column; in small chunks each line lands in a block of its own kind."""
    steps = [7, 10, 99, 12_345, 1_234_567, 12_345_678, 99_999_999, 100_000_000, 123_456_789_012_345]
    lines = [_point(["big"], float(i), step, 10 ** (i % 9) + i) for i, step in enumerate(steps)]
    _append(folder, [*lines, _point(["big"], -1.0, 5, 123_456_789_012_345)])
    monkeypatch.setattr(offline, "_CHUNK", chunk)
    run = _assert_reads_as_orjson(folder, monkeypatch)
    assert run.series["big"].steps.tolist() == sorted([*steps, 5])


@pytest.mark.parametrize("step", ["07", "1e3", "-0", "12a", "1.0"])
def test_a_step_that_is_not_plain_digits_reads_as_line_by_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    text = _point(["train", "loss"], 3.0, 0, 9002).replace('"step": 0,', f'"step": {step},')
    _append(folder, [text])
    _assert_reads_as_orjson(folder, monkeypatch)


def test_a_log_without_a_last_newline_or_empty_reads_as_line_by_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (log,) = folder.glob("data-*.log")
    (folder / "data-0.log").write_bytes(b"")
    log.write_bytes(log.read_bytes() + _point(["train", "loss"], 3.0, 45, 9002).rstrip("\n").encode())
    run = _assert_reads_as_orjson(folder, monkeypatch)
    assert any("half-written" in w for w in run.warnings)


@pytest.mark.parametrize(
    ("cores", "load", "threads"), [(2, 0.4, 2), (2, 1.1, 2), (2, 1.3, 1), (1, 0.0, 1), (8, 3.0, 2)]
)
def test_blocks_are_decoded_on_two_threads_only_while_a_core_is_idle(
    monkeypatch: pytest.MonkeyPatch, cores: int, load: float, threads: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert cores_module.decoding_threads() == threads
