"""The TensorBoard source against real event files, with tbparse as the oracle for every series.

Files are written by the real libraries: tensorboardX's SummaryWriter (simple_value, as PyTorch
writes), tensorboard's own `tensorboard.summary.Writer` (TF2-style tensor scalars) and tensorboard's
compat protos through its EventFileWriter (tensor_content / double_val scalars whose plugin metadata
is on the first value only, as TF2's C++ writer does; several values per event, as TF1's merged
summaries). Damaged files are real files with bytes cut or flipped.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tbparse import SummaryReader
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.plugins.hparams import summary_v2 as hparams_summary
from tensorboard.summary import Writer as TensorBoardWriter
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboardX import SummaryWriter

from runwise.adapters.sources.tensorboard import TensorBoardRunSource
from runwise.adapters.sources.tensorboard.reader import read_files
from runwise.domain.errors import InvalidInput, MetricNotFound, RunNotFound
from runwise.domain.model import MetricSeries

Oracle = dict[str, tuple[np.ndarray, np.ndarray]]


# --- the oracle ------------------------------------------------------------------------------------


def _file_rank(dir_name: str, file_name: str) -> tuple[str, int, str]:
    found = re.search(r"tfevents\.(\d+)", file_name)
    return (dir_name, int(found.group(1)) if found else 0, file_name)


def tbparse_series(folder: Path, prefix: Callable[[str], str] = lambda _d: "") -> Oracle:
    """Every scalar tbparse reads under `folder` (simple values and rank-0 tensors), merged by step.

    tbparse reads each file on its own, so the merge across files is applied here: a step written in
    several files keeps the value from the later file. `prefix` maps a sub-folder to a key prefix.
    """
    reader = SummaryReader(str(folder), extra_columns={"dir_name", "file_name", "wall_time"})
    frames = []
    if not reader.scalars.empty:
        frames.append(reader.scalars)
    tensors = reader.tensors
    if not tensors.empty:
        rank0 = tensors["value"].map(lambda v: np.ndim(v) == 0)
        frames.append(tensors[rank0])
    if not frames:
        return {}
    rows = pd.concat(frames, ignore_index=True)
    rows["key"] = [prefix(d) + t for d, t in zip(rows["dir_name"], rows["tag"])]
    rows["rank"] = [_file_rank(d, f) for d, f in zip(rows["dir_name"], rows["file_name"])]
    out: Oracle = {}
    for key, group in rows.groupby("key"):
        group = group.sort_values(["rank", "wall_time"], kind="stable")
        latest = group.drop_duplicates("step", keep="last").sort_values("step")
        out[str(key)] = (latest["step"].to_numpy(np.int64), latest["value"].to_numpy(np.float64))
    return out


def assert_matches(series: Mapping[str, MetricSeries], oracle: Oracle) -> None:
    got = dict(series)
    assert sorted(got) == sorted(oracle)
    for key, (steps, values) in oracle.items():
        np.testing.assert_array_equal(got[key].steps, steps, err_msg=key)
        assert np.array_equal(got[key].values, values, equal_nan=True), key


# --- writers ---------------------------------------------------------------------------------------


def _scalar_value(tag: str, tensor: tensor_pb2.TensorProto, plugin: str | None) -> summary_pb2.Summary.Value:
    value = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if plugin:
        value.metadata.plugin_data.plugin_name = plugin
    return value


def _rank0(dtype: int, **fields: object) -> tensor_pb2.TensorProto:
    return tensor_pb2.TensorProto(dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(), **fields)


def write_tf2_protos(folder: Path) -> None:
    """TF2 as its C++ writer does: tensor_content scalars, plugin metadata on a tag's first value only."""
    writer = EventFileWriter(str(folder))
    start = time.time()
    for step in range(200):
        wall = start + step * 0.01
        loss = np.float32(2.0 * math.exp(-step / 60) + 0.05 * math.sin(step))
        if step == 90:
            loss = np.float32("nan")
        values = [
            _scalar_value(
                "epoch_loss",
                _rank0(types_pb2.DT_FLOAT, tensor_content=loss.tobytes()),
                "scalars" if step == 0 else None,
            ),
            _scalar_value(
                "learning_rate",
                _rank0(types_pb2.DT_DOUBLE, double_val=[1e-3 * 0.99**step]),
                "scalars" if step == 0 else None,
            ),
        ]
        if step % 3 == 0:
            half = np.float16(step / 7).view(np.uint16)
            values.append(
                _scalar_value(
                    "half_metric", _rank0(types_pb2.DT_HALF, half_val=[int(half)]), "scalars" if step == 0 else None
                )
            )
        for value in values:
            writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[value])))
        if step % 50 == 0:
            histogram = tensor_pb2.TensorProto(
                dtype=types_pb2.DT_DOUBLE,
                tensor_shape=tensor_shape_pb2.TensorShapeProto(
                    dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=30), tensor_shape_pb2.TensorShapeProto.Dim(size=3)]
                ),
                tensor_content=np.random.default_rng(step).random((30, 3)).tobytes(),
            )
            text = tensor_pb2.TensorProto(
                dtype=types_pb2.DT_STRING, tensor_shape=tensor_shape_pb2.TensorShapeProto(), string_val=[b"epoch note"]
            )
            summary = summary_pb2.Summary(
                value=[_scalar_value("weights", histogram, "histograms"), _scalar_value("notes", text, "text")]
            )
            writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=summary))
        if step < 100:  # TF1 merge_all: several simple values in one event
            merged = summary_pb2.Summary(
                value=[
                    summary_pb2.Summary.Value(tag="tf1/a", simple_value=step * 0.5),
                    summary_pb2.Summary.Value(tag="tf1/b", simple_value=-step),
                ]
            )
            writer.add_event(event_pb2.Event(wall_time=wall, step=step, summary=merged))
    writer.close()


def write_tbx(folder: Path, steps: range = range(300)) -> None:
    """PyTorch-style logging with tensorboardX: dense and sparse keys, NaN/±Inf, text, histograms, hparams."""
    with SummaryWriter(str(folder)) as writer:
        writer.add_text("notes", "baseline run", 0)
        for step in steps:
            loss = 2.0 * math.exp(-step / 100) + 0.01 * math.cos(step)
            loss = {150: math.nan, 151: math.inf, 152: -math.inf}.get(step, loss)
            writer.add_scalar("train/loss", loss, step)
            writer.add_scalar("train/lr", 3e-4 * (1 - step / 1000), step)
            if step % 25 == 0:
                writer.add_scalar("val/loss", 2.5 * math.exp(-step / 120), step)
            if step % 100 == 0:
                writer.add_histogram("weights", np.random.default_rng(step).normal(size=500), step)
        for step in (0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 10**10):  # every varint width
            writer.add_scalar("sparse/metric", step / 3, step)
        writer.add_hparams({"lr": 3e-4, "batch_size": 64, "optimizer": "adamw", "amp": True}, {"hparam/best_val": 0.42})


def _events(path: Path) -> list[tuple[int, int]]:
    """(record start, payload length) of every record of a real event file."""
    data = path.read_bytes()
    out, pos = [], 0
    while pos < len(data):
        length = struct.unpack_from("<Q", data, pos)[0]
        out.append((pos, length))
        pos += 16 + length
    return out


def _only_file(folder: Path) -> Path:
    (path,) = sorted(p for p in folder.iterdir() if "tfevents" in p.name)
    return path


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tb")
    write_tbx(root / "tbx")
    writer = TensorBoardWriter(str(root / "tf2_writer"))
    for step in range(0, 400, 2):
        writer.add_scalar("loss", 1.0 / (1 + step), step)
        writer.add_scalar("accuracy", min(1.0, step / 350), step)
    writer.close()
    write_tf2_protos(root / "tf2_protos")
    return root


@pytest.fixture(scope="module")
def source(logs: Path) -> TensorBoardRunSource:
    return TensorBoardRunSource(logs)


# --- every fixture equals tbparse ------------------------------------------------------------------


def test_tensorboardx_simple_values_equal_tbparse(logs: Path, source: TensorBoardRunSource) -> None:
    run = source.load_run("tbx")
    assert_matches(run.series, tbparse_series(logs / "tbx"))
    loss = run.series["train/loss"]
    assert np.isnan(loss.values[150]) and loss.values[151] == np.inf and loss.values[152] == -np.inf
    assert run.series["sparse/metric"].steps.tolist() == [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 10**10]
    assert run.series["val/loss"].steps.tolist() == list(range(0, 300, 25))
    assert run.warnings == ()


def test_tensorboard_writer_tensor_scalars_equal_tbparse(logs: Path, source: TensorBoardRunSource) -> None:
    run = source.load_run("tf2_writer")
    oracle = tbparse_series(logs / "tf2_writer")
    assert sorted(oracle) == ["accuracy", "loss"]  # tbparse has them as tensors, not scalars
    assert_matches(run.series, oracle)
    assert len(run.series["loss"]) == 200


def test_tf2_metadata_on_first_value_only_equal_tbparse(logs: Path, source: TensorBoardRunSource) -> None:
    run = source.load_run("tf2_protos")
    oracle = tbparse_series(logs / "tf2_protos")
    assert {"epoch_loss", "learning_rate", "half_metric", "tf1/a", "tf1/b"} <= set(oracle)
    assert "weights" not in oracle
    assert_matches(run.series, oracle)
    assert np.isnan(run.series["epoch_loss"].values[90])
    assert run.summary["_non_series"] == ("notes", "weights")


def test_integer_tensor_scalars_equal_tensorboards_own_decoding(tmp_path: Path) -> None:
    """tbparse cannot decode integer tensors (its make_ndarray stub fails), so TensorBoard itself is the oracle."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    writer = EventFileWriter(str(tmp_path / "ints"))
    for step in range(60):
        values = [
            _scalar_value(
                "tokens_seen",
                _rank0(types_pb2.DT_INT64, int64_val=[step * 4096 - 10]),
                "scalars" if step == 0 else None,
            ),
            _scalar_value(
                "epoch", _rank0(types_pb2.DT_INT32, int_val=[step // 20 - 1]), "scalars" if step == 0 else None
            ),
        ]
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=values)))
    writer.close()
    expected: dict[str, list[tuple[int, float]]] = {}
    for event in EventFileLoader(str(_only_file(tmp_path / "ints"))).Load():
        for value in event.summary.value:
            expected.setdefault(value.tag, []).append(
                (event.step, float(tensor_util.make_ndarray(value.tensor).item()))
            )
    run = TensorBoardRunSource(tmp_path).load_run("ints")
    assert sorted(run.series) == sorted(expected) == ["epoch", "tokens_seen"]
    for tag, points in expected.items():
        assert list(zip(run.series[tag].steps.tolist(), run.series[tag].values.tolist())) == points


def test_wall_times_are_kept(source: TensorBoardRunSource, logs: Path) -> None:
    run = source.load_run("tf2_protos")
    wall = run.series["epoch_loss"].wall_time
    assert wall is not None and np.all(np.diff(wall) > 0)
    reader = SummaryReader(str(logs / "tf2_protos"), extra_columns={"wall_time"}).tensors
    expected = reader[reader["tag"] == "epoch_loss"].sort_values("step")["wall_time"].to_numpy()
    np.testing.assert_allclose(wall, expected, rtol=0, atol=1e-6)


def test_restart_into_a_second_file_keeps_the_later_write(tmp_path: Path) -> None:
    run_dir = tmp_path / "resumed"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(100):
            writer.add_scalar("loss", 10.0 - step * 0.01, step)
    time.sleep(1.05)  # the resumed writer's file name carries a later second, as a real restart's does
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(60, 200):
            writer.add_scalar("loss", 5.0 - step * 0.01, step)
    assert len(list(run_dir.glob("*tfevents*"))) == 2
    run = TensorBoardRunSource(tmp_path).load_run("resumed")
    oracle = tbparse_series(run_dir)
    assert_matches(run.series, oracle)
    loss = run.series["loss"]
    assert loss.steps.tolist() == list(range(200))
    assert loss.values[59] == pytest.approx(10.0 - 0.59) and loss.values[60] == pytest.approx(5.0 - 0.60)


def test_purge_step_drops_orphaned_points_like_tensorboard(tmp_path: Path) -> None:
    run_dir = tmp_path / "purged"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(100):
            writer.add_scalar("loss", float(step), step)
    time.sleep(1.05)
    with SummaryWriter(str(run_dir), purge_step=50) as writer:
        for step in range(50, 80):
            writer.add_scalar("loss", 1000.0 + step, step)
    raw = SummaryReader(str(run_dir), extra_columns={"file_name"}).scalars
    first_file = min(raw["file_name"], key=lambda f: _file_rank("", f))
    kept = raw[~((raw["file_name"] == first_file) & (raw["step"] >= 50))]  # TensorBoard's purge
    kept = kept.sort_values("step")
    run = TensorBoardRunSource(tmp_path).load_run("purged")
    np.testing.assert_array_equal(run.series["loss"].steps, kept["step"].to_numpy())
    np.testing.assert_array_equal(run.series["loss"].values, kept["value"].to_numpy(np.float64))
    assert run.series["loss"].last_step == 79


def test_truncated_last_record_is_left_out_and_reported(tmp_path: Path) -> None:
    run_dir = tmp_path / "growing"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(120):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
    path = _only_file(run_dir)
    start, length = _events(path)[-1]
    path.write_bytes(path.read_bytes()[: start + 12 + length // 2])
    run = TensorBoardRunSource(tmp_path).load_run("growing")
    assert_matches(run.series, tbparse_series(run_dir))
    assert run.series["loss"].last_step == 118
    assert any("incomplete" in w for w in run.warnings)


def test_record_with_bad_checksum_is_skipped_and_reported(tmp_path: Path) -> None:
    run_dir = tmp_path / "damaged"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(100):
            writer.add_scalar("loss", 100.0 - step, step)
    path = _only_file(run_dir)
    pristine = tmp_path / "pristine"
    pristine.mkdir()
    shutil.copy(path, pristine / path.name)
    records = _events(path)
    start, length = records[41]  # file_version is record 0, so this is step 40
    data = bytearray(path.read_bytes())
    data[start + 12 + length - 2] ^= 0x40  # a byte of the float value
    path.write_bytes(bytes(data))

    run = TensorBoardRunSource(tmp_path).load_run("damaged")
    loss = run.series["loss"]
    assert 40 not in loss.steps.tolist() and len(loss) == 99
    assert any("checksum failed" in w for w in run.warnings)
    # tbparse stops at the damaged record; everything before it agrees ...
    before = tbparse_series(run_dir)["loss"]
    np.testing.assert_array_equal(loss.steps[:40], before[0])
    np.testing.assert_array_equal(loss.values[:40], before[1])
    # ... and everything else is what tbparse reads from the undamaged file
    steps, values = tbparse_series(pristine)["loss"]
    keep = steps != 40
    np.testing.assert_array_equal(loss.steps, steps[keep])
    np.testing.assert_array_equal(loss.values, values[keep])


def test_damaged_record_header_is_skipped_and_reading_resumes(tmp_path: Path) -> None:
    run_dir = tmp_path / "bad_header"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(100):
            writer.add_scalar("loss", float(step), step)
    path = _only_file(run_dir)
    pristine = tbparse_series(run_dir)["loss"]
    start, _length = _events(path)[61]  # step 60
    data = bytearray(path.read_bytes())
    data[start] ^= 0x01  # the length no longer matches its checksum
    path.write_bytes(bytes(data))
    run = TensorBoardRunSource(tmp_path).load_run("bad_header")
    keep = pristine[0] != 60
    np.testing.assert_array_equal(run.series["loss"].steps, pristine[0][keep])
    np.testing.assert_array_equal(run.series["loss"].values, pristine[1][keep])
    assert any("damaged record header" in w for w in run.warnings)


def test_damaged_large_record_is_skipped(tmp_path: Path) -> None:
    run_dir = tmp_path / "hist"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(10):
            writer.add_scalar("loss", float(step), step)
            writer.add_histogram("weights", np.arange(400) * (step + 1.0), step)
    path = _only_file(run_dir)
    records = _events(path)
    start, length = max(records, key=lambda r: r[1])
    assert length > 1000
    data = bytearray(path.read_bytes())
    data[start + 12 + length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    run = TensorBoardRunSource(tmp_path).load_run("hist")
    assert len(run.series["loss"]) == 10
    assert any("checksum failed" in w for w in run.warnings)


# --- config, non-series keys, layouts --------------------------------------------------------------


def test_hparams_become_the_config(logs: Path, source: TensorBoardRunSource) -> None:
    run = source.load_run("tbx")
    hparams = SummaryReader(str(logs / "tbx")).hparams
    expected = dict(zip(hparams["tag"], hparams["value"]))
    assert expected.keys() == run.config.keys()
    for key, value in expected.items():
        assert run.config[key] == pytest.approx(value) if isinstance(value, float) else run.config[key] == value
    assert run.config == {"lr": pytest.approx(3e-4), "batch_size": 64, "optimizer": "adamw", "amp": True}
    assert run.series["hparam/best_val"].values.tolist() == [pytest.approx(0.42)]
    assert [i.id for i in source.list_runs() if i.id.startswith("tbx")] == ["tbx"]  # the hparams child is not a run


def test_hparams_written_in_the_run_file_become_the_config(tmp_path: Path) -> None:
    writer = EventFileWriter(str(tmp_path / "keras_hp"))
    pb = hparams_summary.hparams_pb({"dropout": 0.25, "units": 128, "activation": "relu"})
    writer.add_event(event_pb2.Event(wall_time=time.time(), summary=pb))
    writer.add_event(
        event_pb2.Event(
            wall_time=time.time(),
            step=1,
            summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="acc", simple_value=0.5)]),
        )
    )
    writer.close()
    run = TensorBoardRunSource(tmp_path).load_run("keras_hp")
    assert run.config == {"dropout": 0.25, "units": 128, "activation": "relu"}
    hparams = SummaryReader(str(tmp_path / "keras_hp")).hparams
    assert dict(zip(hparams["tag"], hparams["value"])) == {"dropout": 0.25, "units": 128.0, "activation": "relu"}
    assert list(run.series) == ["acc"]


def test_text_and_histograms_are_listed_but_are_not_series(source: TensorBoardRunSource) -> None:
    run = source.load_run("tbx")
    assert run.summary["_non_series"] == ("notes/text_summary", "weights")
    assert "weights" not in run.series and "notes/text_summary" not in run.series
    assert run.summary["train/lr"] == pytest.approx(3e-4 * (1 - 299 / 1000))


def _keras_logs(root: Path) -> None:
    for split, offset in (("train", 0.0), ("validation", 0.3)):
        writer = TensorBoardWriter(str(root / "exp1" / split))
        for epoch in range(10):
            writer.add_scalar("epoch_loss", 1.0 / (epoch + 1) + offset, epoch)
            if split == "train":
                writer.add_scalar("epoch_learning_rate", 0.01, epoch)
        writer.close()
    writer = TensorBoardWriter(str(root / "exp2" / "train"))
    writer.add_scalar("epoch_loss", 0.5, 0)
    writer.close()


def test_auto_layout_reads_train_and_validation_as_one_run(tmp_path: Path) -> None:
    _keras_logs(tmp_path)
    source = TensorBoardRunSource(tmp_path)
    assert sorted(i.id for i in source.list_runs()) == ["exp1", "exp2/train"]
    run = source.load_run("exp1")
    assert_matches(run.series, tbparse_series(tmp_path / "exp1", prefix=lambda d: f"{d}/"))
    assert sorted(run.series) == ["train/epoch_learning_rate", "train/epoch_loss", "validation/epoch_loss"]
    assert run.info.path == str((tmp_path / "exp1").resolve())


def test_folders_layout_keeps_every_folder_a_run(tmp_path: Path) -> None:
    _keras_logs(tmp_path)
    source = TensorBoardRunSource(tmp_path, layout="folders")
    assert sorted(i.id for i in source.list_runs()) == ["exp1/train", "exp1/validation", "exp2/train"]
    run = source.load_run("exp1/validation")
    assert_matches(run.series, tbparse_series(tmp_path / "exp1" / "validation"))
    assert run.info.name == "exp1/validation"


def test_splits_layout_merges_a_lone_split_folder(tmp_path: Path) -> None:
    _keras_logs(tmp_path)
    source = TensorBoardRunSource(tmp_path, layout="splits")
    assert sorted(i.id for i in source.list_runs()) == ["exp1", "exp2"]
    assert list(source.load_run("exp2").series) == ["train/epoch_loss"]


def test_unknown_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="layout"):
        TensorBoardRunSource(tmp_path, layout="nested")


# --- many tags, block boundaries ------------------------------------------------------------------


def test_many_tags_of_one_length_equal_tbparse(tmp_path: Path) -> None:
    """Dozens of same-length tags share a record length: decoded by layout buckets, not one by one."""
    run_dir = tmp_path / "wide"
    with SummaryWriter(str(run_dir)) as writer:
        for step in range(0, 400, 3):
            for layer in range(30):
                writer.add_scalar(f"grad/layer{layer:02d}", layer + step / 1000, step)
    run = TensorBoardRunSource(tmp_path).load_run("wide")
    assert len(run.series) == 30
    assert_matches(run.series, tbparse_series(run_dir))


def test_long_records_of_tensor_scalars_equal_tbparse(tmp_path: Path) -> None:
    """Long tags and descriptions make records longer than the small-record path takes."""
    writer = TensorBoardWriter(str(tmp_path / "verbose"))
    long_tag = "eval/" + "very_long_metric_name_" * 12
    for step in range(0, 3000, 7):
        writer.add_scalar(long_tag, step / 3000, step, description="fraction of the eval set " * 8)
        writer.add_scalar("short", -step, step)
    writer.close()
    path = _only_file(tmp_path / "verbose")
    assert max(length for _start, length in _events(path)) > 256
    run = TensorBoardRunSource(tmp_path).load_run("verbose")
    assert_matches(run.series, tbparse_series(tmp_path / "verbose"))
    assert len(run.series[long_tag]) == len(range(0, 3000, 7))


@pytest.mark.parametrize("block_bytes", [700, 4096, 65_536])
def test_reading_in_small_blocks_gives_the_same_run(logs: Path, block_bytes: int) -> None:
    files = sorted((logs / "tbx").glob("*tfevents*"))
    whole, _ = read_files(files, [f.name for f in files])
    pieces, reports = read_files(files, [f.name for f in files], block_bytes=block_bytes)
    assert [r.warnings() for r in reports] == [[]]
    assert_matches(pieces.build(), {k: (s.steps, s.values) for k, s in whole.build().items()})
    assert pieces.non_series() == whole.non_series()


# --- the RunSource surface ------------------------------------------------------------------------


def test_list_runs_reports_ids_times_steps_and_state(logs: Path, source: TensorBoardRunSource) -> None:
    infos = {i.id: i for i in source.list_runs()}
    assert sorted(infos) == ["tbx", "tf2_protos", "tf2_writer"]
    info = infos["tf2_protos"]
    run = source.load_run("tf2_protos")
    assert info.created_at == pytest.approx(run.info.created_at) and info.updated_at == pytest.approx(
        run.info.updated_at
    )
    assert info.last_step == run.info.last_step == 199
    assert info.state == "running"  # written within the last 120 s
    assert info.path == str((logs / "tf2_protos").resolve()) and info.source == "tensorboard"
    for path in (logs / "tf2_writer").iterdir():
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    assert {i.id: i for i in source.list_runs()}["tf2_writer"].state == "unknown"


def test_run_can_be_found_by_its_folder_path(logs: Path, source: TensorBoardRunSource) -> None:
    assert source.load_run(str((logs / "tbx").resolve())).info.id == "tbx"


def test_unknown_run_and_metric_are_errors(source: TensorBoardRunSource) -> None:
    with pytest.raises(RunNotFound):
        source.load_run("missing")
    with pytest.raises(MetricNotFound):
        source.load_series("tbx", ["no/such/key"])
    assert list(source.load_series("tbx", ["val/loss"])) == ["val/loss"]


def test_fingerprint_changes_when_the_run_grows(tmp_path: Path) -> None:
    writer = TensorBoardWriter(str(tmp_path / "live"))  # its flush() is synchronous; tensorboardX's is not
    writer.add_scalar("loss", 1.0, 0)
    writer.flush()
    source = TensorBoardRunSource(tmp_path)
    before = source.fingerprint("live")
    assert source.load_run("live").series["loss"].steps.tolist() == [0]
    writer.add_scalar("loss", 0.5, 1)
    writer.flush()
    assert source.fingerprint("live") != before
    assert source.load_run("live").series["loss"].steps.tolist() == [0, 1]
    writer.close()


def test_a_single_event_file_can_be_the_root(logs: Path) -> None:
    path = next((logs / "tf2_writer").glob("*tfevents*"))
    source = TensorBoardRunSource(path)
    (info,) = source.list_runs()
    assert sorted(source.load_run(info.id).series) == ["accuracy", "loss"]


def test_reading_never_imports_tensorboard_tensorflow_or_tbparse(logs: Path) -> None:
    code = (
        "import sys\n"
        "from runwise.adapters.sources.tensorboard import TensorBoardRunSource\n"
        f"s = TensorBoardRunSource({str(logs)!r})\n"
        "for i in s.list_runs(): s.load_run(i.id)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorboard', 'tensorflow', 'tbparse', 'tensorboardX')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
