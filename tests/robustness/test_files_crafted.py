"""Event-file lengths, FIFOs, devices, long names and vanishing files: never a hang, crash or huge allocation."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runwise.adapters.sources.jsonl import JsonlRunSource
from runwise.adapters.sources.tensorboard import TensorBoardRunSource
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.errors import RunwiseError
from tests.robustness.crafting import tfrecord_header

HANG_GUARD_S = 30.0  # far beyond any honest read of these tiny files; only a blocked call gets there


def finishes(call: Callable[[], Any]) -> Any:
    """Run `call` in a daemon thread; fail (instead of hanging the suite) if it blocks."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive(), "the call blocked"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture(scope="module")
def event_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from tensorboardX import SummaryWriter

    folder = tmp_path_factory.mktemp("tb")
    with SummaryWriter(str(folder)) as writer:
        for step in range(50):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
    (path,) = folder.glob("*tfevents*")
    return path.read_bytes()


@pytest.mark.parametrize("length", [2**35, 2**62, 2**64 - 1])
def test_a_valid_header_with_a_huge_length_loses_no_record(event_file: bytes, tmp_path: Path, length: int) -> None:
    first = int.from_bytes(event_file[:8], "little")
    cut = 12 + first + 4
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.out.tfevents.1.host").write_bytes(event_file[:cut] + tfrecord_header(length) + event_file[cut:])
    source = TensorBoardRunSource(tmp_path)
    (info,) = source.list_runs()
    loaded = source.load_run(info.id)
    assert loaded.series["loss"].steps.tolist() == list(range(50))
    assert any("damaged record header" in w for w in loaded.warnings)


def test_a_huge_length_at_the_end_is_an_incomplete_tail(event_file: bytes, tmp_path: Path) -> None:
    (tmp_path / "events.out.tfevents.1.host").write_bytes(event_file + tfrecord_header(2**62) + b"\0" * 16)
    source = TensorBoardRunSource(tmp_path)
    loaded = source.load_run(source.list_runs()[0].id)
    assert loaded.series["loss"].steps.tolist() == list(range(50))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("name", ["metrics.jsonl", "events.out.tfevents.1.host", "run-abc.wandb"])
def test_a_fifo_named_like_a_log_blocks_nothing(tmp_path: Path, name: str) -> None:
    (tmp_path / "real.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    folder = tmp_path / "wandb" / "run-20260101_000000-abc" if name.endswith(".wandb") else tmp_path / "odd"
    folder.mkdir(parents=True)
    os.mkfifo(folder / name)
    app = bootstrap(Settings.load(dir=str(tmp_path)))
    listed = finishes(lambda: app.catalog.list_runs())
    assert [info.name for _, info in listed] == ["real"]
    with pytest.raises(RunwiseError):
        finishes(lambda: app.catalog.load(str(folder / name)))


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["zero.jsonl", "events.out.tfevents.2.host"])
def test_a_link_to_a_device_is_not_a_log(tmp_path: Path, name: str) -> None:
    (tmp_path / name).symlink_to("/dev/zero")
    (tmp_path / "real.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    app = bootstrap(Settings.load(dir=str(tmp_path)))
    listed = finishes(lambda: app.catalog.list_runs())
    assert [info.name for _, info in listed] == ["real"]


def test_a_legal_long_log_name_loads(tmp_path: Path) -> None:
    name = "r" * 244 + ".jsonl"  # 250 bytes: legal, but "<stem>.config.json" is not
    (tmp_path / name).write_text('{"step": 1, "loss": 0.5}\n')
    source = JsonlRunSource(tmp_path)
    run = source.load_run(source.list_runs()[0].id)
    assert run.series["loss"].values.tolist() == [0.5]


def test_a_file_deleted_after_discovery_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "gone.jsonl"
    path.write_text('{"step": 1, "loss": 0.5}\n')
    source = JsonlRunSource(tmp_path)
    (info,) = source.list_runs()
    found = source._path(info.id)  # the file is found, then removed before it is read
    path.unlink()
    source._path = lambda run_id: found  # type: ignore[method-assign]
    with pytest.raises(RunwiseError, match="disappeared"):
        source.load_run(info.id)
