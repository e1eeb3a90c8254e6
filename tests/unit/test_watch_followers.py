"""Incremental followers of MLflow stores and CSV loggers: the real libraries write between polls.

Lightning's CSVLogger, Keras' CSVLogger and the `mlflow` client log in one child process on command
(tests/frameworks/staged_writer.py). Ultralytics cannot be installed here: its results.csv rows are appended
with the release's own formatting code reproduced in tests/frameworks/ultralytics_format.py.
"""

from __future__ import annotations

import math
from pathlib import Path

from runwise.adapters.sources.csv_loggers import KerasRunSource, LightningRunSource, UltralyticsRunSource
from runwise.adapters.sources.csv_loggers.follow import CsvFollower
from runwise.adapters.sources.mlflow import MlflowRunSource
from runwise.adapters.sources.mlflow.follow import FileStoreFollower, SqliteFollower
from runwise.domain.watch import Increment
from runwise.services.watch import follower_for
from tests.frameworks.staged_writer import StagedWriter
from tests.frameworks.ultralytics_format import append_epoch, detect_args, write_args


def _points(increment: Increment) -> dict[str, list[tuple[int, float]]]:
    return {
        key: [(int(s), float(v)) for s, v in zip(series.steps, series.values)]
        for key, series in sorted(increment.series.items())
    }


def _only_run(source: MlflowRunSource | LightningRunSource | KerasRunSource | UltralyticsRunSource) -> str:
    (info,) = source.list_runs()
    return info.id


# MLflow -----------------------------------------------------------------------------------------
def test_sqlite_follower_reads_only_the_rows_logged_since_the_last_poll(
    staged_writer: StagedWriter, tmp_path: Path
) -> None:
    uri = staged_writer.sqlite_store(tmp_path / "mlflow.db")
    first = [[s, {"train/loss": 1.0 / (s + 1), "val/loss": 2.0 / (s + 1)}] for s in range(200)]
    staged_writer.send({"op": "mlflow", "uri": uri, "name": "live", "rows": first, "params": {"lr": 0.1}})
    source = MlflowRunSource(tmp_path)
    follower = follower_for(source, _only_run(source))
    assert isinstance(follower, SqliteFollower)

    got = follower.poll()
    assert follower.rows_read == 400 and got.state == "running" and got.config == {"lr": 0.1}
    assert len(got.series["train/loss"]) == 200 and got.series["val/loss"].steps[-1] == 199
    assert follower.poll().series == {}  # nothing new: the file did not change, nothing is queried
    assert follower.rows_read == 400

    staged_writer.send({"op": "mlflow", "uri": uri, "name": "live",
                        "rows": [[200, {"train/loss": math.nan}], [201, {"train/loss": math.inf}]]})  # fmt: skip
    got = follower.poll()
    assert follower.rows_read == 402  # the two new rows, not the 400 before them
    assert list(got.series) == ["train/loss"] and got.config is None
    assert got.series["train/loss"].steps.tolist() == [200, 201]
    assert math.isnan(got.series["train/loss"].values[0]) and got.series["train/loss"].values[1] == math.inf

    staged_writer.send({"op": "mlflow", "uri": uri, "name": "live", "rows": [], "status": "FAILED"})
    assert follower.poll().state == "crashed"


def test_file_store_follower_reads_each_metric_file_from_its_offset(
    staged_writer: StagedWriter, tmp_path: Path
) -> None:
    uri = (tmp_path / "mlruns").as_uri()
    staged_writer.send({"op": "mlflow", "uri": uri, "name": "files",
                        "rows": [[s, {"train/loss": 1.0 / (s + 1)}] for s in range(100)]})  # fmt: skip
    source = MlflowRunSource(tmp_path)
    follower = follower_for(source, _only_run(source))
    assert isinstance(follower, FileStoreFollower)
    got = follower.poll()
    size = (Path(follower.folder) / "metrics" / "train" / "loss").stat().st_size
    assert got.bytes_read == size and len(got.series["train/loss"]) == 100

    staged_writer.send({"op": "mlflow", "uri": uri, "name": "files",
                        "rows": [[100, {"train/loss": 0.5, "val/acc": 0.7}]]})  # fmt: skip
    got = follower.poll()
    grown = (Path(follower.folder) / "metrics" / "train" / "loss").stat().st_size
    new_key = (Path(follower.folder) / "metrics" / "val" / "acc").stat().st_size
    assert got.bytes_read == grown - size + new_key  # the appended line and the new key's file, nothing else
    assert _points(got) == {"train/loss": [(100, 0.5)], "val/acc": [(100, 0.7)]}
    staged_writer.send({"op": "mlflow", "uri": uri, "name": "files", "rows": [], "status": "FINISHED"})
    assert follower.poll().state == "finished"


# CSV loggers ------------------------------------------------------------------------------------
def test_lightning_follower_starts_over_when_the_logger_rewrites_its_file(
    staged_writer: StagedWriter, tmp_path: Path
) -> None:
    save = tmp_path / "lightning_logs"
    rows = [[s, {"train_loss": 1.0 / (s + 1)}] for s in range(30)]
    staged_writer.send({"op": "lightning", "dir": str(save), "name": "exp", "rows": rows})
    source = LightningRunSource(tmp_path)
    follower = follower_for(source, _only_run(source))
    assert isinstance(follower, CsvFollower)
    first = follower.poll()
    assert len(first.series["train_loss"]) == 30
    size = follower.path.stat().st_size

    staged_writer.send({"op": "lightning", "dir": str(save), "name": "exp",
                        "rows": [[30, {"train_loss": 0.03}], [31, {"train_loss": 0.02}]]})  # fmt: skip
    got = follower.poll()
    assert got.bytes_read == follower.path.stat().st_size - size  # only the appended rows
    assert _points(got) == {"train_loss": [(30, 0.03), (31, 0.02)]}

    # a new key: Lightning writes the whole file again under a wider header
    staged_writer.send({"op": "lightning", "dir": str(save), "name": "exp",
                        "rows": [[32, {"train_loss": 0.01}], [32, {"val_loss": 0.5}]]})  # fmt: skip
    got = follower.poll()
    assert "rewritten" in got.warnings[0]
    assert _points(got) == {"train_loss": [(32, 0.01)], "val_loss": [(32, 0.5)]}  # nothing said twice


def test_keras_follower_goes_on_counting_across_an_appended_session(
    staged_writer: StagedWriter, tmp_path: Path
) -> None:
    path = tmp_path / "history.csv"
    staged_writer.send({"op": "keras", "path": str(path),
                        "rows": [[e, {"loss": 1.0 - e / 10}] for e in range(3)], "end": True})  # fmt: skip
    source = KerasRunSource(tmp_path)
    follower = follower_for(source, _only_run(source))
    assert isinstance(follower, CsvFollower)
    assert _points(follower.poll())["loss"] == [(0, 1.0), (1, 0.9), (2, 0.8)]
    # a resumed fit appends below with its epoch counter starting again: the steps go on
    staged_writer.send({"op": "keras", "path": str(path), "append": True,
                        "rows": [[0, {"loss": 0.7}], [1, {"loss": 0.6}]]})  # fmt: skip
    got = follower.poll()
    assert _points(got)["loss"] == [(3, 0.7), (4, 0.6)]
    assert _points(got)["epoch"] == [(3, 0.0), (4, 1.0)]
    assert source.load_run(_only_run(source)).series["loss"].steps.tolist() == [0, 1, 2, 3, 4]  # as a full read


def test_ultralytics_follower_waits_for_whole_rows_and_sees_the_last_epoch(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "detect" / "train"
    folder.mkdir(parents=True)
    write_args(folder, detect_args(epochs=3))
    csv = folder / "results.csv"
    append_epoch(csv, 0, 10.0, {"train/box_loss": 1.5, "metrics/mAP50(B)": 0.2, "lr/pg0": 0.01})
    source = UltralyticsRunSource(tmp_path)
    follower = follower_for(source, _only_run(source))
    first = _points(follower.poll())
    assert (first["metrics/mAP50(B)"], first["train/box_loss"]) == ([(1, 0.2)], [(1, 1.5)])
    with csv.open("a") as out:
        out.write("2,20,1.4,0.3")  # a row being written
        out.flush()
        assert follower.poll().series == {}
        out.write(",0.009\n")
    append_epoch(csv, 2, 30.0, {"train/box_loss": 1.3, "metrics/mAP50(B)": 0.4, "lr/pg0": 0.008})
    got = follower.poll()
    assert _points(got) == {
        "lr/pg0": [(2, 0.009), (3, 0.008)], "metrics/mAP50(B)": [(2, 0.3), (3, 0.4)],
        "train/box_loss": [(2, 1.4), (3, 1.3)],
    }  # fmt: skip
    assert got.state == "finished"  # epochs=3 in args.yaml reached


def test_csv_follower_starts_over_when_a_new_training_truncates_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "detect" / "train"
    folder.mkdir(parents=True)
    csv = folder / "results.csv"
    for epoch in range(4):
        append_epoch(csv, epoch, epoch * 10.0, {"train/box_loss": 2.0 - epoch / 10, "lr/pg0": 0.01})
    source = UltralyticsRunSource(tmp_path)
    follower = follower_for(source, _only_run(source))
    follower.poll()
    csv.unlink()  # a new training in the same folder: the same header, then longer than before
    for epoch in range(6):
        append_epoch(csv, epoch, epoch * 10.0, {"train/box_loss": 1.0 - epoch / 10, "lr/pg0": 0.01})
    got = follower.poll()
    assert any("rewritten" in w for w in got.warnings)
    assert _points(got)["train/box_loss"] == [(5, 0.6), (6, 0.5)]  # only past what was already reported
