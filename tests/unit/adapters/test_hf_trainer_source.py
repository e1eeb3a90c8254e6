"""The Hugging Face Trainer source on folders `transformers.Trainer` wrote, and on broken or foreign files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.hf_trainer import HfTrainerRunSource
from runwise.adapters.sources.hf_trainer.state import history, parse_state
from runwise.domain.errors import InvalidInput
from tests.frameworks import framework_runs


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    shutil.copytree(framework_runs("hf") / "trained", tmp_path / "trained")
    return tmp_path / "trained"


def test_output_folder_and_its_checkpoints_are_one_run(trained: Path) -> None:
    infos = {i.id: i for i in HfTrainerRunSource(trained).list_runs()}
    assert sorted(infos) == ["bert-tiny-cls", "gpt2-tiny-lr-too-high"]
    assert infos["bert-tiny-cls"].state == "finished" and infos["bert-tiny-cls"].last_step == 12


def test_train_and_eval_entries_share_steps_and_the_summary_entry_is_not_a_step(trained: Path) -> None:
    run = HfTrainerRunSource(trained).load_run("bert-tiny-cls")
    assert run.series["loss"].steps.tolist() == list(range(1, 13))
    assert run.series["eval_loss"].steps.tolist() == [4, 8, 12]  # one evaluation per epoch
    assert {"learning_rate", "grad_norm", "epoch"} <= set(run.series)
    assert "train_runtime" not in run.series and "train_loss" not in run.series
    assert run.summary["train_loss"] > 0 and run.info.runtime_s == run.summary["train_runtime"]
    assert run.config["train_batch_size"] == 16 and run.config["model"]["hidden_size"] == 16
    assert run.config["learning_rate"] == 3e-3 and run.config["eval_strategy"] == "epoch"  # training_args.bin
    assert not any("token" in key for key in run.config)
    assert run.info.state == "finished"


def test_newest_checkpoint_wins_when_there_is_no_final_state(trained: Path) -> None:
    source = HfTrainerRunSource(trained)
    run = source.load_run("gpt2-tiny-lr-too-high")
    assert run.series["loss"].last_step == 12 and run.info.state == "finished"  # saved at the last planned step
    shutil.rmtree(trained / "gpt2-tiny-lr-too-high" / "checkpoint-12")
    assert source.load_run("gpt2-tiny-lr-too-high").series["loss"].last_step == 6


def test_a_broken_newest_state_falls_back_to_the_checkpoint_before_it(trained: Path) -> None:
    run_dir = trained / "gpt2-tiny-lr-too-high"
    (run_dir / "checkpoint-12" / "trainer_state.json").write_bytes(b'{"global_step": 12, "log_history": [')
    run = HfTrainerRunSource(trained).load_run("gpt2-tiny-lr-too-high")
    assert run.series["loss"].last_step == 6
    assert any("cut short" in w for w in run.warnings)


def test_a_path_to_a_checkpoint_or_a_state_file_finds_the_run(trained: Path) -> None:
    folder = trained / "bert-tiny-cls"
    for root in (folder, folder / "checkpoint-8", folder / "trainer_state.json"):
        (info,) = HfTrainerRunSource(root).list_runs()
        assert info.last_step in (8, 12)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02 binary",
        b'{"global_step": 3}',  # a JSON that is not a trainer state
        b'[{"loss": 1.0, "step": 1}]',
        b'{"name": "a dataset", "rows": [1, 2, 3]}',
        b"not json at all",
    ],
)
def test_files_named_trainer_state_that_are_not_states_are_not_runs(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "trainer_state.json").write_bytes(content)
    assert HfTrainerRunSource(tmp_path).list_runs() == []


def test_an_unreadable_state_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "trainer_state.json").write_bytes(b'{"global_step": 5, "log_history": [' + b"\xff" * 100)
    source = HfTrainerRunSource(tmp_path)
    (info,) = source.list_runs()
    run = source.load_run(info.id)  # salvages nothing, reports it
    assert run.series == {} and run.warnings
    (folder / "trainer_state.json").write_bytes(b'{"global_step": 5, "log_history": 7}')
    with pytest.raises(InvalidInput, match=r"no readable trainer_state\.json"):
        source.load_run(info.id)


def test_nan_infinity_and_odd_entries_are_kept_or_skipped_never_fatal() -> None:
    log = [
        {"loss": float("nan"), "step": 1},
        {"loss": float("inf"), "grad_norm": float("-inf"), "step": 2},
        {"loss": 1.0, "step": "3"},  # no integer step: skipped
        {"loss": True, "note": "text", "step": 4},  # no number: nothing logged
        {"loss": 10**400, "step": 5},  # too large for a float
        "not an entry",
    ]
    state = parse_state(json.dumps({"global_step": 5, "log_history": log}).encode())
    found = history(state.entries)
    assert found.skipped == 1
    loss = found.series["loss"]
    assert loss.steps.tolist() == [1, 2, 5] and np.isnan(loss.values[0]) and loss.values[1] == np.inf
    assert found.series["grad_norm"].values.tolist() == [-np.inf]


def test_nothing_is_written_into_the_run_folder(trained: Path) -> None:
    before = sorted((p, p.stat().st_mtime_ns) for p in trained.rglob("*"))
    source = HfTrainerRunSource(trained)
    for info in source.list_runs():
        source.load_run(info.id)
    assert sorted((p, p.stat().st_mtime_ns) for p in trained.rglob("*")) == before


def test_training_args_bin_is_read_without_running_its_code(tmp_path: Path) -> None:
    import pickle
    import zipfile

    from runwise.adapters.sources.hf_trainer.training_args import read_training_args

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    path = tmp_path / "training_args.bin"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"learning_rate": 0.1, "evil": Boom(), "hub_token": "x"}))
    read = read_training_args(path)
    assert read["learning_rate"] == 0.1 and "hub_token" not in read  # the call is kept as inert text at most
    assert not (tmp_path / "pwned").exists()
    path.write_bytes(b"PK\x03\x04 not a zip")
    assert read_training_args(path) == {}
