"""The Aim source on repositories written by the real `aim` package: keys, state, config, read-only reading."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.aim import AimRunSource
from runwise.adapters.sources.aim.encoding import build_tree, decode_path, encode_path
from runwise.adapters.sources.aim.keys import assign_keys
from runwise.domain.errors import MissingExtra
from runwise.entrypoints.cli import main
from tests.contract.seeders import aim as aim_seeder

NAN, INF = float("nan"), float("inf")
STEPS = list(range(0, 60))
ALPHA_POINTS = (
    [["loss", {"subset": "train"}, s, 3.0 - 0.04 * s] for s in STEPS]
    + [["loss", {"subset": "val"}, s, 2.5 - 0.01 * s] for s in STEPS[::10]]
    + [["acc", {}, s, s / 60] for s in STEPS]
)
ALPHA_POINTS[30][3] = NAN
ALPHA_POINTS[31][3] = INF
ALPHA_POINTS[32][3] = -INF
COLLIDING_POINTS = [
    ["loss", {"subset": "train"}, 0, 1.0],
    ["loss", {"phase": "train"}, 0, 2.0],
    ["train/loss", {}, 0, 3.0],
    ["loss", {"subset": "val", "head": "a"}, 0, 4.0],
    ["loss", {"fold": 2}, 0, 5.0],
]
JOB = {
    "runs": [
        {
            "name": "alpha",
            "experiment": "vision",
            "config": {"lr": 0.1, "optimizer": {"name": "adam", "betas": [0.9, 0.99]}},
            "tags": ["baseline", "v2"],
            "points": sorted(ALPHA_POINTS, key=lambda p: p[2]),
        },
        {"name": "colliding", "points": COLLIDING_POINTS},
        {
            "name": "live",
            "points": [["loss", {"subset": "train"}, s, 1.0 / (s + 1)] for s in range(20)],
            "keep_open": True,
        },
    ]
}
aim_seeder.SESSION_JOBS.append(JOB)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder, hashes = aim_seeder.cached_repo(JOB)
    return aim_seeder.copy_repo(folder, tmp_path), hashes


# pure parts ------------------------------------------------------------------------------------
def test_context_keys_are_natural_and_never_collide() -> None:
    traces = [(name, ctx) for name, ctx, _, _ in COLLIDING_POINTS] + [("acc", {}), ("__system__cpu", {})]
    keys = assign_keys(traces)
    assert len(set(keys)) == len(keys)
    assert keys[3:] == ["a/val/loss", "fold=2/loss", "acc", "system/cpu"]
    assert keys[:3] == ["loss{subset=train}", "loss{phase=train}", "train/loss"]  # natural key shared: spelled out
    assert assign_keys([("loss", {"subset": "train"}), ("loss", {"subset": "val"})]) == ["train/loss", "val/loss"]


def test_integer_path_parts_may_contain_the_sentinel_byte() -> None:
    key = encode_path("traces", -0x01FE02FE03FE04FE, "loss", "last")
    assert decode_path(key) == ["traces", -0x01FE02FE03FE04FE, "loss", "last"]


def test_arrays_become_lists() -> None:
    from runwise.adapters.sources.aim.encoding import ARRAY, OBJECT, Container

    items = [(["a"], Container(OBJECT)), (["a", "b"], Container(ARRAY)), (["a", "b", 0], 1), (["a", "b", 1], 2)]
    assert build_tree(items) == {"a": {"b": [1, 2]}}


# real repositories -----------------------------------------------------------------------------
def test_every_point_of_every_context_is_read_in_step_order(repo: tuple[Path, dict[str, str]]) -> None:
    root, hashes = repo
    run = AimRunSource(root).load_run(hashes["alpha"])
    assert sorted(run.series) == ["acc", "train/loss", "val/loss"]
    loss = run.series["train/loss"]
    assert loss.steps.tolist() == STEPS  # Aim stores points in hash order; they come back sorted
    assert np.isnan(loss.values[30]) and loss.values[31] == INF and loss.values[32] == -INF
    np.testing.assert_allclose(loss.values[:30], [3.0 - 0.04 * s for s in STEPS[:30]])
    assert run.series["val/loss"].steps.tolist() == STEPS[::10]


def test_colliding_contexts_keep_every_series(repo: tuple[Path, dict[str, str]]) -> None:
    root, hashes = repo
    run = AimRunSource(root).load_run(hashes["colliding"])
    values = {k: float(s.values[0]) for k, s in run.series.items()}
    assert values == {
        "loss{subset=train}": 1.0,
        "loss{phase=train}": 2.0,
        "train/loss": 3.0,
        "a/val/loss": 4.0,
        "fold=2/loss": 5.0,
    }


def test_params_experiment_tags_and_state(repo: tuple[Path, dict[str, str]]) -> None:
    root, hashes = repo
    source = AimRunSource(root)
    infos = {i.name: i for i in source.list_runs()}
    alpha = infos["alpha"]
    assert alpha.project == "vision" and alpha.tags == ("baseline", "v2") and alpha.state == "finished"
    assert alpha.last_step == 59 and alpha.created_at is not None and alpha.runtime_s is not None
    assert infos["live"].state == "running"  # run.active: no end time, and its writer is alive
    config = source.load_run(hashes["alpha"]).config
    assert config == {"lr": 0.1, "optimizer": {"name": "adam", "betas": [0.9, 0.99]}}
    assert len(source.load_run(hashes["live"]).series["train/loss"]) == 20  # read while still open


def test_a_run_whose_writer_died_is_crashed(repo: tuple[Path, dict[str, str]]) -> None:
    root, hashes = repo
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = root / ".aim" / "locks" / f"{hashes['live']}.softlock"
    node, _pid, stamp = lock.read_text().split("-", 2)
    lock.write_text(f"{node}-{dead.pid}-{stamp}")  # the same run, as left by a process that is gone
    run = AimRunSource(root).load_run(hashes["live"])
    assert run.info.state == "crashed" and any("end time" in w for w in run.warnings)


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            out[os.path.join(folder, name) + "/"] = "dir"
        for name in files:
            path = os.path.join(folder, name)
            st = os.stat(path)
            out[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest() + f":{st.st_mtime_ns}:{st.st_mode}"
    return out


def test_reading_writes_nothing_into_the_repository(repo: tuple[Path, dict[str, str]]) -> None:
    """Hash every file before and after every way of reading: nothing changes, no lock or index appears."""
    root, hashes = repo
    before = _snapshot(root)
    source = AimRunSource(root)
    for info in source.list_runs():
        source.load_run(info.id)
        source.fingerprint(info.id)
    for argv in (
        ["list"],
        ["latest"],
        ["keys", hashes["alpha"]],
        ["health", hashes["live"]],
        ["anomalies", hashes["alpha"]],
    ):
        assert main(["--dir", str(root), *argv], stdout=io.StringIO()) in (0, 1), argv
    after = _snapshot(root)
    assert sorted(set(after) - set(before)) == []  # no lock, LOG, index or journal file appeared
    assert after == before  # and no byte or mtime of Aim's index, chunks or SQLite table changed


def test_without_aimrocks_runs_are_listed_and_reading_names_the_extra(
    repo: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, hashes = repo
    monkeypatch.setitem(sys.modules, "aimrocks", None)  # import aimrocks now raises ImportError
    source = AimRunSource(root)
    assert {i.name for i in source.list_runs()} == {"alpha", "colliding", "live"}
    with pytest.raises(MissingExtra, match=r"pip install 'runwise\[aim\]'"):
        source.load_run(hashes["alpha"])
    code = main(["--dir", str(root), "latest"], stdout=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and "runwise[aim]" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_damaged_chunk_is_one_clear_error(
    repo: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, hashes = repo
    seqs = root / ".aim" / "seqs" / "chunks" / hashes["alpha"]
    shutil.rmtree(seqs)
    seqs.mkdir()
    (seqs / "CURRENT").write_text("garbage\n")
    code = main(["--dir", str(root), "run", hashes["alpha"]], stdout=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and "Aim chunk" in err and "Traceback" not in err
