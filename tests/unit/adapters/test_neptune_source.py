"""The Neptune source on data written by the real clients: drops, state, damage, read-only reading, extras."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.neptune import NeptuneRunSource
from runwise.adapters.sources.neptune import source as neptune_source
from runwise.adapters.sources.neptune.scale_proto import message
from runwise.domain.errors import MissingExtra
from runwise.entrypoints.cli import main
from tests import neptune_writers
from tests.contract.spec import RunSpec, SeriesSpec

NAN = float("nan")
STEPS = tuple(range(100))
BLOWS_UP = RunSpec(
    name="blows-up",
    config={"lr": 1.0},
    series={
        "train/loss": SeriesSpec(STEPS, tuple(1.0 / (s + 1) if s < 60 else NAN for s in STEPS)),
        "train/acc": SeriesSpec(STEPS, tuple(s / 100 for s in STEPS)),
    },
)
OFFLINE = neptune_writers.job_of("offline", [BLOWS_UP])
SILENT = {**neptune_writers.job_of("offline", [BLOWS_UP], capture_stderr=False)}
FAILED = neptune_writers.job_of(
    "offline", [RunSpec(name="failed", series={"loss": SeriesSpec((0, 1), (1.0, 0.5))})], fail=True
)
SCALE = neptune_writers.job_of("scale", [BLOWS_UP])
neptune_writers.SESSION_JOBS.extend([OFFLINE, SILENT, FAILED, SCALE])


def _copy(job: dict[str, object], tmp_path: Path) -> tuple[NeptuneRunSource, dict[str, str]]:
    _, ids = neptune_writers.copy_written(job, tmp_path)
    return NeptuneRunSource(tmp_path), ids


def test_a_run_that_blew_up_gets_its_dropped_nans_back(tmp_path: Path) -> None:
    source, ids = _copy(OFFLINE, tmp_path)
    run = source.load_run(ids["blows-up"])
    loss = run.series["train/loss"]
    assert loss.steps.tolist() == list(STEPS) and np.isnan(loss.values[60:]).all()
    assert any("dropped non-finite" in w for w in run.warnings)
    assert any("train/loss: 40 dropped value(s) at steps 60–99 put back as nan" in w for w in run.warnings)
    out = io.StringIO()
    assert main(["--dir", str(tmp_path), "--no-cache", "--format", "json", "health", ids["blows-up"]], stdout=out) == 0
    assert json.loads(out.getvalue())["status"] == "critical"  # not "healthy": the divergence is found


def test_without_the_clients_warning_an_early_stop_is_named(tmp_path: Path) -> None:
    source, ids = _copy(SILENT, tmp_path)
    run = source.load_run(ids["blows-up"])
    assert run.series["train/loss"].last_step == 59  # nothing invented without evidence
    assert any("train/loss stops at step 59 while the run goes on to 99" in w for w in run.warnings)


def test_failed_run_is_crashed_and_state_comes_from_sys(tmp_path: Path) -> None:
    source, ids = _copy(FAILED, tmp_path)
    assert source.load_run(ids["failed"]).info.state == "crashed"
    source, ids = _copy(OFFLINE, tmp_path / "ok")
    # finished only when the client's stop message reached its console capture; never crashed or running
    assert source.load_run(ids["blows-up"]).info.state in ("finished", "unknown")


def test_listing_offline_runs_decodes_no_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A listing peeks (every operation but the points, and the last lines for the last step); loading reads all."""
    _copy(OFFLINE, tmp_path / "ok")
    _copy(FAILED, tmp_path / "failed")
    source = NeptuneRunSource(tmp_path)
    read_whole = neptune_source.read_offline
    calls: list[Path] = []
    monkeypatch.setattr(
        neptune_source, "read_offline", lambda folder, **kw: calls.append(folder) or read_whole(folder, **kw)
    )
    listed = {info.id: info for info in source.list_runs()}
    assert len(listed) == 2 and calls == []
    for run_id, info in listed.items():
        loaded = source.load_run(run_id).info
        assert (info.name, info.state, info.last_step, info.tags, info.created_at, info.updated_at) == (
            loaded.name,
            loaded.state,
            loaded.last_step,
            loaded.tags,
            loaded.created_at,
            loaded.updated_at,
        )
    assert len(calls) == 2
    assert {i.state for i in listed.values()} >= {"crashed"} and max(i.last_step or 0 for i in listed.values()) == 99


@pytest.mark.parametrize(
    "newest_log",
    [
        b"",
        b'{"obj": {"type": "AssignString", "path": ["sys", "description"], "value": "x"}, "version": 9999, "at": 1}\n',
    ],
)
def test_a_listing_takes_the_last_step_from_the_last_log_holding_points(tmp_path: Path, newest_log: bytes) -> None:
    """Right after the client starts a new operation log, that log holds no point yet: the last step is in the one
    before."""
    source, ids = _copy(OFFLINE, tmp_path)
    (log,) = tmp_path.glob(".neptune/offline/*/data-1.log")
    (log.parent / "data-2.log").write_bytes(newest_log)
    (listed,) = source.list_runs()
    assert listed.last_step == source.load_run(ids["blows-up"]).info.last_step == 99


def test_a_half_written_operation_is_left_out_and_reported(tmp_path: Path) -> None:
    source, ids = _copy(OFFLINE, tmp_path)
    (log,) = tmp_path.glob(".neptune/offline/*/data-1.log")
    data = log.read_bytes()
    log.write_bytes(data + b'{"obj": {"type": "LogFloats", "path": ["train", "acc"], "val')
    run = source.load_run(ids["blows-up"])
    assert run.series["train/acc"].last_step == 99 and any("half-written" in w for w in run.warnings)


def test_scale_reads_frames_a_live_writer_has_not_checkpointed(tmp_path: Path) -> None:
    source, ids = _copy(SCALE, tmp_path)
    (db,) = tmp_path.glob(".neptune/*/run_operations.sqlite3")
    snap = message("UpdateRunSnapshot")()
    snap.step.whole = 100
    entry = snap.append.add()
    entry.key = "train/acc"
    entry.value.float64 = 1.0
    writer = sqlite3.connect(db)  # the writer, still running: its new row sits in the -wal file
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    blob = snap.SerializeToString()
    writer.execute(
        "INSERT INTO run_operations (timestamp, operation_type, operation, operation_size_bytes) VALUES (?, 0, ?, ?)",
        (1, blob, len(blob)),
    )
    writer.commit()
    try:
        before = _snapshot(tmp_path)
        run = source.load_run(ids["blows-up"])
        assert run.series["train/acc"].last_step == 100
        assert np.isnan(run.series["train/loss"].values[60:]).all()  # neptune-scale stores NaN as logged
        assert _snapshot(tmp_path) == before
    finally:
        writer.close()


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for folder, dirs, files in os.walk(root):
        out.update({os.path.join(folder, d) + "/": "dir" for d in dirs})
        for name in files:
            path = Path(folder, name)
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() + f":{path.stat().st_mtime_ns}"
    return out


def test_reading_every_form_writes_nothing(tmp_path: Path) -> None:
    _copy(OFFLINE, tmp_path / "offline")
    _copy(SCALE, tmp_path / "scale")
    neptune_writers.write_export(
        tmp_path / "export" / "p", "X-1", "exported", neptune_writers.rows_of(BLOWS_UP), {"lr": 1}
    )
    before = _snapshot(tmp_path)
    source = NeptuneRunSource(tmp_path)
    infos = source.list_runs()
    assert len(infos) == 3
    for info in infos:
        source.load_run(info.id)
    for argv in (["list"], ["latest"], ["anomalies", "X-1"], ["health", "X-1"]):
        assert main(["--dir", str(tmp_path), "--no-cache", *argv], stdout=io.StringIO()) in (0, 1)
    assert _snapshot(tmp_path) == before


def test_export_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    neptune_writers.write_export(tmp_path / "p", "X-1", "exported", neptune_writers.rows_of(BLOWS_UP), {})
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    source = NeptuneRunSource(tmp_path)
    assert source.list_runs() == []
    notices = [n.line() for n in source.notices()]
    assert notices and "pip install 'runwise[neptune]'" in notices[0]
    with pytest.raises(MissingExtra):
        source.load_run("X-1_part_0.parquet")
    assert main(["--dir", str(tmp_path), "--no-cache", "latest"], stdout=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "runwise[neptune]" in err and "Traceback" not in err


def test_damaged_files_never_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".neptune" / "offline" / "run__abc__1__x").mkdir(parents=True)
    (tmp_path / ".neptune" / "offline" / "run__abc__1__x" / "data-1.log").write_bytes(b"\x00\xff garbage\n{not json\n")
    (tmp_path / "scale").mkdir()
    (tmp_path / "scale" / "run_operations.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (tmp_path / "RUN-1_part_0.parquet").write_bytes(b"PAR1 not really")
    source = NeptuneRunSource(tmp_path)
    infos = source.list_runs()
    for info in infos:
        source.load_run(info.id)
    code = main(["--dir", str(tmp_path), "--no-cache", "list"], stdout=io.StringIO())
    assert code in (0, 2) and "Traceback" not in capsys.readouterr().err
