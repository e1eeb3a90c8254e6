"""Every reader on damaged copies of real logs: no traceback, no hang, no huge allocation.

Seeds are the contract seeders' runs (each written by its real library: json, tensorboardX,
wandb offline, transformers, aim ... whatever sources exist); each example copies one seeded
folder, damages one file (truncated, bit-flipped, emptied, replaced by random bytes, given a huge
length field, or replaced by deeply nested JSON) and lists and loads every run through the same
sources the CLI wires. A sample also goes through a `runwise` subprocess. Bounded: a few dozen
examples per kind, each read under a hang guard.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.errors import RunwiseError
from tests.robustness.crafting import refresh_wandb_crcs, tfrecord_header
from tests.robustness.test_files_crafted import finishes

MAX_FILE_BYTES = 4 << 20
KINDS = ("truncate", "bitflip", "empty", "random", "huge_length", "deep_json")


@pytest.fixture(scope="module")
def corpus(seeded_logs: Path) -> list[tuple[Path, Path]]:
    """(one seeder's folder, one of its files) for every seeder that can write here (tests copy the folder)."""
    out: list[tuple[Path, Path]] = []
    for root in sorted(p for p in seeded_logs.iterdir() if p.is_dir()):
        files = sorted(
            p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and p.stat().st_size <= MAX_FILE_BYTES
        )
        out.extend((root, f) for f in files)
    assert out
    return out


def _damage(path: Path, kind: str, data: st.DataObject) -> None:
    raw = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(raw[: data.draw(st.integers(0, max(0, len(raw) - 1)), label="cut")])
    elif kind == "bitflip":
        if raw:
            buf = bytearray(raw)
            for _ in range(data.draw(st.integers(1, 8), label="flips")):
                at = data.draw(st.integers(0, len(buf) - 1), label="at")
                buf[at] ^= 1 << data.draw(st.integers(0, 7), label="bit")
            path.write_bytes(refresh_wandb_crcs(bytes(buf)) if path.suffix == ".wandb" else bytes(buf))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(data.draw(st.binary(min_size=1, max_size=4096), label="bytes"))
    elif kind == "huge_length":
        at = data.draw(st.integers(0, len(raw)), label="at")
        length = data.draw(st.sampled_from([2**31, 2**35, 2**62, 2**64 - 1]), label="length")
        if "tfevents" in path.name:
            insert = tfrecord_header(length)
        else:  # a protobuf/varint length field claiming `length` bytes
            varint, value = bytearray(), length
            while True:
                varint.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
                value >>= 7
                if not value:
                    break
            insert = b"\x0a" + bytes(varint)
        damaged = raw[:at] + insert + raw[at:]
        path.write_bytes(refresh_wandb_crcs(damaged) if path.suffix == ".wandb" else damaged)
    elif kind == "deep_json":
        depth = data.draw(st.sampled_from([100, 990, 1023, 5000, 100_000]), label="depth")
        opener = data.draw(st.sampled_from(['{"a":', "["]), label="opener")
        closer = "}" if opener.startswith("{") else "]"
        path.write_text(opener * depth + "1" + closer * depth)


def _read_everything(root: Path) -> None:
    """List and load every run the CLI's sources find, as the CLI would; only RunwiseError may come out."""
    app = bootstrap(Settings.load(cwd=root, env={"RUNWISE_NO_CACHE": "1"}, dir=str(root)))
    try:
        found = app.catalog.list_runs()
    except RunwiseError:
        return
    for source, info in found:
        try:
            run = app.catalog.load_info(source, info)
            for series in run.series.values():
                assert series.steps.shape == series.values.shape
        except RunwiseError:
            continue


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_reader_survives_damaged_files(corpus: list[tuple[Path, Path]], data: st.DataObject) -> None:
    root, target = data.draw(st.sampled_from(corpus), label="file")
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    with tempfile.TemporaryDirectory(prefix="runwise-fuzz-") as tmp:
        copy = Path(tmp) / "logs"
        shutil.copytree(root, copy, symlinks=True)
        _damage(copy / target.relative_to(root), kind, data)
        finishes(lambda: _read_everything(copy))


@pytest.mark.parametrize("length", [2**35, 2**62, 2**64 - 1])
def test_a_huge_length_field_never_allocates(corpus: list[tuple[Path, Path]], tmp_path: Path, length: int) -> None:
    events = [(root, f) for root, f in corpus if "tfevents" in f.name]
    if not events:
        pytest.skip("no TensorBoard seeder here")
    root, target = events[0]
    copy = tmp_path / "logs"
    shutil.copytree(root, copy, symlinks=True)
    damaged = copy / target.relative_to(root)
    raw = damaged.read_bytes()
    damaged.write_bytes(raw[:0] + tfrecord_header(length) + raw)
    tracemalloc.start()
    try:
        finishes(lambda: _read_everything(copy))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 << 20


def _cli(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNWISE_NO_CACHE": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-m", "runwise", "--dir", str(root), "--no-color", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=root,
    )


def _damage_once(path: Path, kind: str) -> None:
    """One damage of `kind` to `path`, drawn by hypothesis once (derandomized: the same every run)."""

    @given(data=st.data())
    @settings(max_examples=1, deadline=None, derandomize=True, database=None)
    def damage(data: st.DataObject) -> None:
        _damage(path, kind, data)

    damage()


def test_the_cli_on_damaged_logs_exits_cleanly(corpus: list[tuple[Path, Path]], tmp_path: Path) -> None:
    """A sample through real `runwise` processes: exit 0 or 2, never a traceback, errors on one line.

    One folder holds a damaged copy per kind (a seeder's folder with one file damaged), so each process
    meets every kind: `list` peeks at every run, `run` and JSON `stats` load the newest one.
    """
    import random

    rng = random.Random(0)
    logs = tmp_path / "logs"
    for kind in KINDS:
        root, target = rng.choice(corpus)
        copy = logs / kind
        shutil.copytree(root, copy, symlinks=True)

        _damage_once(copy / target.relative_to(root), kind)
    for argv in (["list"], ["run", "latest"], ["--format", "json", "stats", "latest"]):
        done = _cli(logs, *argv)
        assert done.returncode in (0, 2), (argv, done.stderr)
        assert "Traceback" not in done.stderr
        errors = [line for line in done.stderr.splitlines() if "error" in line]
        assert len(errors) <= 1 and all(line.startswith("runwise: ") for line in done.stderr.splitlines() if line)
