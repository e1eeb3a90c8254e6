"""CSV logger sources: discovery by content, the loggers' quirks, and broken or foreign files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runwise.adapters.sources.csv_loggers import KerasRunSource, LightningRunSource, UltralyticsRunSource
from runwise.adapters.sources.csv_loggers.kinds import classify
from runwise.adapters.sources.csv_loggers.table import read_table
from runwise.adapters.sources.csv_loggers.yaml_config import read_config
from runwise.domain.errors import RunNotFound
from tests.frameworks import framework_runs
from tests.frameworks.ultralytics_format import DETECT_KEYS, append_epoch, append_epoch_legacy

SOURCES = (LightningRunSource, KerasRunSource, UltralyticsRunSource)


def _runs(root: Path) -> dict[str, list[str]]:
    return {cls.name: sorted(i.id for i in cls(root).list_runs()) for cls in SOURCES}


@pytest.mark.parametrize(
    ("header", "rows", "kind"),
    [
        ("epoch,step,train_loss_epoch,train_loss_step,val_loss", ["0,0,,5.7,", "0,3,,,2.1"], "lightning"),
        ("epoch,loss,mae,val_loss,val_mae", ["0,5.1,1.8,2.3,1.2"], "keras"),
        ("epoch,accuracy,loss,val_accuracy,val_loss", ["0,NA,0.5,NA,NA"], "keras"),
        ("epoch,loss,mae,val_loss,val_mae", [], "keras"),  # header written, no epoch finished yet
        ("epoch,time," + ",".join(DETECT_KEYS), ["1,12.5," + ",".join(["0.5"] * len(DETECT_KEYS))], "ultralytics"),
        ("sepal_length,sepal_width,species", ["5.1,3.5,setosa"], None),  # a data set
        ("epoch,loss", ["2024-01-01,0.5"], None),  # dates are not an epoch counter
        ("epoch,loss,val_loss", ["0.5,1,2"], None),  # nor are fractions
        ("value,step,id", ["0.5,0,1"], None),  # a step column, but not written by Lightning (unsorted)
        ("step,text,value", ["0,hello,1"], None),  # text in the cells
        ("epoch,zeta,alpha", ["0,1,2"], None),  # Keras sorts its keys
        ("epoch,acc,val_acc", ["0,1,2"], None),  # Keras always logs a loss
        ("epoch,epoch,loss", ["0,1,2"], None),
        ("loss", ["0.5"], None),
    ],
)
def test_the_logger_is_told_by_content(header: str, rows: list[str], kind: str | None) -> None:
    names = [n.strip() for n in header.split(",")]
    assert classify(names, [r.split(",") for r in rows]) == kind


def test_names_do_not_decide(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("city,population\nParis,2100000\n")
    (tmp_path / "results.csv").write_text("epoch,score\n1,0.5\n")
    (tmp_path / "training.log").write_text("epoch,loss,val_loss\n0,1.5,1.7\n1,1.2,1.4\n")  # Keras' own example name
    (tmp_path / "notes.txt").write_text("epoch 1 went well\n")
    assert _runs(tmp_path) == {"lightning": [], "keras": ["training"], "ultralytics": []}


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x00\x01binary", b"\xff\xfe\xfa" * 100, b"epoch,loss\n", b"\n\n\n", b'"unclosed,quote\n1,2\n'],
)
def test_odd_files_are_passed_over_or_read_empty_never_fatal(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "log.csv").write_bytes(content)
    for cls in SOURCES:
        source = cls(tmp_path)
        for info in source.list_runs():
            run = source.load_run(info.id)
            assert all(len(s) == 0 for s in run.series.values())


def test_broken_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("epoch,loss,val_loss\n0,2.0,2.1\n1,1.5\n2,1.2,1.3,9\n3,1.0,oops\n4,0.9,0.95\n5,0.8,0.")
    run = KerasRunSource(tmp_path).load_run("history")
    assert run.series["loss"].steps.tolist() == [0, 3, 4]
    assert run.series["val_loss"].steps.tolist() == [0, 4]  # "oops" is not a value
    assert any("2 rows with the wrong number of fields" in w for w in run.warnings)
    assert any("incomplete" in w for w in run.warnings)


def test_keras_appended_sessions_are_segments_of_one_run(tmp_path: Path) -> None:
    shutil.copytree(framework_runs("keras") / "trained", tmp_path / "k")
    run = KerasRunSource(tmp_path / "k").load_run("mlp-resumed")
    assert run.series["loss"].steps.tolist() == [0, 1, 2, 3, 4, 5]  # the second fit continues the count
    assert run.series["epoch"].values.tolist() == [0, 1, 2, 0, 1, 2]  # the counter as Keras logged it
    assert run.summary["sessions"] == 2 and run.info.last_step == 5
    assert KerasRunSource(tmp_path / "k").list_runs()[0].last_step in (3, 5)


def test_lightning_rows_of_one_step_spread_over_lines(tmp_path: Path) -> None:
    shutil.copytree(framework_runs("lightning") / "trained", tmp_path / "pl")
    source = LightningRunSource(tmp_path / "pl")
    assert sorted(i.id for i in source.list_runs()) == ["lightning_logs/version_0", "lightning_logs/version_1"]
    run = source.load_run("lightning_logs/version_0")
    steps = run.series["train_loss_step"].steps.tolist()
    assert steps == list(range(12))  # 4 batches x 3 epochs
    assert run.series["val_loss"].steps.tolist() == [3, 7, 11]  # one validation per epoch, on rows of its own
    assert run.series["train_loss_epoch"].steps.tolist() == [3, 7, 11]
    assert run.config == {"lr": 0.05}
    assert np.isfinite(run.series["val_loss"].values).all()


def test_ultralytics_current_and_legacy_layouts(tmp_path: Path) -> None:
    row = dict.fromkeys(DETECT_KEYS, 0.123456789)
    current, legacy = tmp_path / "detect" / "train", tmp_path / "detect" / "train2"
    current.mkdir(parents=True)
    legacy.mkdir(parents=True)
    for epoch in range(3):
        append_epoch(current / "results.csv", epoch, 10.0 * (epoch + 1), row)
        append_epoch_legacy(legacy / "results.csv", epoch, row)
    assert (legacy / "results.csv").read_text().startswith(" " * 18 + "epoch,")
    source = UltralyticsRunSource(tmp_path)
    assert sorted(i.id for i in source.list_runs()) == ["detect/train", "detect/train2"]
    for run_id in ("detect/train", "detect/train2"):
        run = source.load_run(run_id)
        assert sorted(run.series) == sorted(DETECT_KEYS)
        assert run.series["metrics/mAP50(B)"].steps.tolist() == [1, 2, 3]  # epochs counted from 1
        np.testing.assert_allclose(run.series["lr/pg0"].values, 0.123456789, rtol=1e-4)
    assert source.load_run("detect/train").info.runtime_s == 30.0


def test_unsafe_yaml_tags_build_plain_values_and_run_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hparams.yaml"
    path.write_text(
        "lr: 0.1\nargs: !!python/object:argparse.Namespace\n  depth: 4\n"
        "shape: !!python/tuple [3, 32]\nrun: !!python/object/apply:os.system ['touch pwned']\n"
    )
    config, problem = read_config(path)
    assert problem is None and config["lr"] == 0.1 and config["args"] == {"depth": 4} and config["shape"] == [3, 32]
    assert not (tmp_path / "pwned").exists()
    path.write_text("lr: [unclosed\n")
    assert read_config(path)[0] == {} and "not valid YAML" in (read_config(path)[1] or "")
    path.write_text("- a list\n- not settings\n")
    assert read_config(path) == ({}, "hparams.yaml does not hold a mapping of settings")


def test_a_broken_config_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    shutil.copytree(framework_runs("lightning") / "trained", tmp_path / "pl")
    (tmp_path / "pl" / "lightning_logs" / "version_0" / "hparams.yaml").write_bytes(b"lr: [\x00\xff")
    run = LightningRunSource(tmp_path / "pl").load_run("lightning_logs/version_0")
    assert run.config == {} and any("hparams.yaml" in w for w in run.warnings) and run.series


def test_a_log_replaced_by_garbage_after_listing_is_no_longer_a_run(tmp_path: Path) -> None:
    (tmp_path / "history.csv").write_text("epoch,loss\n0,1.0\n")
    source = KerasRunSource(tmp_path)
    assert [i.id for i in source.list_runs()] == ["history"]
    (tmp_path / "history.csv").write_bytes(b"\x00" * 10)
    with pytest.raises(RunNotFound):
        source.load_run("history")


def test_nothing_is_written_into_the_log_folders(tmp_path: Path) -> None:
    for framework in ("lightning", "keras", "ultralytics"):
        shutil.copytree(framework_runs(framework) / "trained", tmp_path / framework)
    before = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    for cls in SOURCES:
        source = cls(tmp_path)
        for info in source.list_runs():
            source.load_run(info.id)
    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


def _csv_module_table(data: bytes) -> tuple[tuple[str, ...], tuple[list[str], ...], int, int]:
    """What the csv module reads from whole lines: the reference for the one-split fast path."""
    import csv
    import io

    cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
    text = data[: cut + 1].decode() if cut >= 0 else ""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = tuple(name.strip() for name in rows[0]) if rows else ()
    good = [row for row in rows[1:] if len(row) == len(header)]
    skipped = sum(1 for row in rows[1:] if row and len(row) != len(header))
    columns = tuple(list(col) for col in zip(*good)) if good else tuple([] for _ in header)
    return header, columns, len(good), skipped


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(st.sampled_from(["", "1.5", "nan", "-inf", "NA", "7", " x "]), min_size=1, max_size=4),
                  min_size=1, max_size=8),
    line_end=st.sampled_from(["\n", "\r\n"]),
    cut=st.booleans(),
)  # fmt: skip
def test_plain_csv_fast_path_reads_what_the_csv_module_reads(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], line_end: str, cut: bool
) -> None:
    data = (line_end.join(",".join(row) for row in [["epoch", " loss ", "val_loss"], *rows]) + line_end).encode()
    if cut:
        data = data[:-1]
    path = tmp_path_factory.mktemp("plain") / "metrics.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert (table.header, table.columns, table.rows, table.skipped) == _csv_module_table(data)
