"""The numpy CRC32C and TFRecord framing against TensorBoard's own reference implementation."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from tbparse import SummaryReader
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c as reference_crc32c
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c as reference_masked
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from runwise.adapters.sources.tensorboard import TensorBoardRunSource
from runwise.adapters.sources.tensorboard.crc32c import crc32c, crc32c_rows, crc32c_spans, mask
from runwise.adapters.sources.tensorboard.records import FrameReport, frame


@pytest.mark.parametrize("length", [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 63, 64, 65, 255, 256, 257, 4099])
def test_crc32c_equals_tensorboards_reference(length: int) -> None:
    data = np.random.default_rng(length).integers(0, 256, length, dtype=np.uint8).tobytes()
    assert crc32c(data) == reference_crc32c(data)
    assert int(mask(np.array([crc32c(data)], dtype=np.uint32))[0]) == reference_masked(data)


def test_crc32c_of_many_rows_at_once() -> None:
    rows = np.random.default_rng(1).integers(0, 256, (500, 37), dtype=np.uint8)
    expected = [reference_crc32c(row.tobytes()) for row in rows]
    assert crc32c_rows(rows).tolist() == expected


def test_crc32c_of_spans_of_any_length() -> None:
    rng = np.random.default_rng(2)
    data = rng.integers(0, 256, 200_000, dtype=np.uint8)
    lengths = np.concatenate([[0, 1, 63, 64, 65, 128, 129], rng.integers(0, 20_000, 200)]).astype(np.int64)
    starts = rng.integers(0, data.size - 20_000, lengths.size).astype(np.int64)
    starts[:3] = [0, 1, 2]  # spans whose zero-padded first block would reach before the data
    expected = [reference_crc32c(data[s : s + n].tobytes()) for s, n in zip(starts, lengths)]
    assert crc32c_spans(data, starts, lengths).tolist() == expected


def test_framing_finds_every_record_of_a_real_file(tmp_path: Path) -> None:
    """Records whose Event has no wall_time do not start with byte 0x09 and are walked one by one."""
    writer = EventFileWriter(str(tmp_path / "run"))
    for step in range(50):
        wall = 0.0 if step % 7 == 3 else time.time()
        value = summary_pb2.Summary.Value(tag="loss", simple_value=step / 10)
        writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[value])))
    writer.close()
    (path,) = (tmp_path / "run").iterdir()
    data = path.read_bytes()
    expected, pos = [], 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 8], "little")
        expected.append(pos + 12)
        pos += 16 + length
    report = FrameReport()
    frames = frame(data, report)
    assert frames.starts.tolist() == expected and frames.consumed == len(data) and report.bad_headers == 0

    run = TensorBoardRunSource(tmp_path).load_run("run")
    oracle = SummaryReader(str(tmp_path / "run")).scalars.sort_values("step")
    np.testing.assert_array_equal(run.series["loss"].steps, oracle["step"].to_numpy())
    np.testing.assert_array_equal(run.series["loss"].values, oracle["value"].to_numpy(np.float64))


def test_framing_stops_before_a_record_cut_by_the_buffer_end(tmp_path: Path) -> None:
    writer = EventFileWriter(str(tmp_path / "run"))
    for step in range(20):
        value = summary_pb2.Summary.Value(tag="loss", simple_value=float(step))
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=[value])))
    writer.close()
    (path,) = (tmp_path / "run").iterdir()
    data = path.read_bytes()
    whole = frame(data, FrameReport())
    for cut in range(1, 40):
        part = frame(data[:-cut], FrameReport())
        assert part.starts.tolist() == whole.starts[:-1].tolist()
        assert part.consumed == whole.starts[-1] - 12
        header_complete = len(data) - cut - part.consumed >= 12
        assert part.needed == (len(data) - part.consumed if header_complete else 0)
