"""The disk store of parsed runs: exact round trips, damaged entries rebuilt, eviction, several processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.cache.codec import FORMAT_VERSION
from runwise.adapters.cache.store import DiskRunStore
from runwise.domain.model import GitInfo, MetricSeries, Run, RunInfo
from runwise.ports.run_store import StoredRun


def _run(points: int = 1000, *, config: dict[str, object] | None = None) -> Run:
    steps = np.arange(points, dtype=np.int64) * 2
    loss = np.linspace(2.0, 0.1, points)
    loss[points // 2] = np.nan
    loss[-1] = np.inf
    wall = 1.7e9 + steps * 0.25
    series = {
        "loss": MetricSeries("loss", steps, loss, wall),
        "lr": MetricSeries("lr", steps, np.full(points, 3e-4), wall),  # shares steps and wall with loss
        "val/acc": MetricSeries("val/acc", steps[::10], np.linspace(0.1, 0.9, steps[::10].size)),
        "empty": MetricSeries("empty", np.empty(0, np.int64), np.empty(0)),
    }
    info = RunInfo(
        id="exp/a", name="a", source="jsonl", project="exp", state="crashed", created_at=1.7e9, updated_at=1.7e9 + 9,
        last_step=int(steps[-1]), runtime_s=9.5, tags=("x", "y"), notes="n", git=GitInfo("abc", "r", True),
        path="/logs/exp/a.jsonl",
    )  # fmt: skip
    return Run(
        info=info,
        config=config if config is not None else {"lr": 3e-4, "layers": (1, 2), "opt": {"name": "adam", "b": [0.9]}},
        summary={"loss": float("nan"), "best": float("-inf"), "acc": 0.9},
        series=series,
        warnings=("skipped 1 malformed line (first at line 3)",),
        partial_of=None,
    )


def _same(a: Run, b: Run) -> None:
    assert a.info == b.info and a.warnings == b.warnings and a.partial_of == b.partial_of
    assert a.config == b.config and type(a.config["layers"]) is type(b.config["layers"])
    assert list(a.summary) == list(b.summary)
    np.testing.assert_array_equal(np.array(list(a.summary.values())), np.array(list(b.summary.values())))
    assert list(a.series) == list(b.series)
    for key, series in a.series.items():
        other = b.series[key]
        assert series == other
        assert (series.wall_time is None) == (other.wall_time is None)
        if series.wall_time is not None:
            np.testing.assert_array_equal(series.wall_time, other.wall_time)


def _entry(run: Run, identity: str = "id-1") -> StoredRun:
    return StoredRun(run, identity, time.time(), {"offset": 10, "nested": (1, [2.5])})


def _files(store: DiskRunStore) -> list[Path]:
    return sorted(store.folder.glob("*.run"))


def test_a_run_comes_back_exactly_and_read_only(tmp_path: Path) -> None:
    store = DiskRunStore(tmp_path)
    run = _run()
    store.put("k", _entry(run))
    got = store.get("k")
    assert got is not None and got.identity == "id-1" and got.resume == {"offset": 10, "nested": (1, [2.5])}
    _same(run, got.run)
    loss = got.run.series["loss"]
    assert not loss.values.flags.writeable and not loss.steps.flags.writeable
    assert isinstance(loss.values.base, (memoryview, bytes)) or loss.values.base is not None  # a view, not a copy
    assert store.get("other") is None


def test_shared_steps_are_stored_once(tmp_path: Path) -> None:
    store = DiskRunStore(tmp_path)
    run = _run(10_000)
    store.put("k", _entry(run))
    # loss and lr share steps and wall: 2 shared + 2 values + val/acc's own 2 arrays, not 3 arrays per metric
    assert _files(store)[0].stat().st_size < 10_000 * 8 * 5


def test_a_value_json_cannot_hold_exactly_is_not_stored(tmp_path: Path) -> None:
    store = DiskRunStore(tmp_path)
    store.put("k", _entry(_run(config={"when": object()})))
    assert store.get("k") is None and not _files(store)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage", "version"])
def test_a_damaged_entry_is_a_miss_and_removed(tmp_path: Path, damage: str) -> None:
    store = DiskRunStore(tmp_path)
    store.put("k", _entry(_run()))
    (path,) = _files(store)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) - 100]
    elif damage == "flip":
        data[-50] ^= 0xFF
    elif damage == "empty":
        data = bytearray()
    elif damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    else:
        data[8] = FORMAT_VERSION + 1
    path.write_bytes(bytes(data))
    assert store.get("k") is None
    assert not path.exists()
    store.put("k", _entry(_run()))
    assert store.get("k") is not None


def test_least_recently_used_entries_are_evicted(tmp_path: Path) -> None:
    probe = DiskRunStore(tmp_path / "probe")
    probe.put("a", _entry(_run()))
    one = _files(probe)[0].stat().st_size
    store = DiskRunStore(tmp_path / "store", max_bytes=int(one * 3.5))
    for i, key in enumerate("abc"):
        store.put(key, _entry(_run()))
        os.utime(store._path(key), (1000.0 + i, 1000.0 + i))  # a, b, c: oldest first
    assert store.get("a") is not None  # used now: the most recent
    store.put("d", _entry(_run()))
    assert store.get("b") is None and all(store.get(k) is not None for k in "acd")
    assert store.stats().entries == 3 and store.stats().bytes <= store.max_bytes


def test_entries_of_an_older_format_are_dropped(tmp_path: Path) -> None:
    old = tmp_path / "runs-v0"
    old.mkdir()
    (old / "x.run").write_bytes(b"old")
    store = DiskRunStore(tmp_path)
    store.put("k", _entry(_run()))
    assert not old.exists()


def test_clear_and_stats(tmp_path: Path) -> None:
    store = DiskRunStore(tmp_path)
    assert store.stats().entries == 0 and store.clear() == 0
    store.put("a", _entry(_run()))
    store.put("b", _entry(_run()))
    stats = store.stats()
    assert stats.entries == 2 and stats.bytes > 0 and stats.location == str(tmp_path)
    assert store.clear() == 2 and store.stats().entries == 0 and store.get("a") is None


def test_an_unwritable_folder_runs_without_the_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = DiskRunStore(blocker)
    store.put("k", _entry(_run()))
    assert store.get("k") is None


def test_processes_writing_and_reading_one_entry_at_once_always_see_a_whole_run(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_disk_store import _entry, _run
        from runwise.adapters.cache.store import DiskRunStore
        store = DiskRunStore({str(tmp_path)!r})
        seen = 0
        for i in range(40):
            store.put("k", _entry(_run(20_000 + (i % 3) * 1000), identity=str(i)))
            got = store.get("k")
            if got is not None:
                n = len(got.run.series["loss"])
                assert n in (20_000, 21_000, 22_000), n
                assert got.run.series["lr"].values.sum() == n * 3e-4 or abs(got.run.series["lr"].values.sum() - n * 3e-4) < 1e-9
                seen += 1
            if i % 10 == 9:
                store.clear()
        print(seen)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*sys.path]))
    procs = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        assert int(out) > 0
