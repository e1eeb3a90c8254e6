"""Plain-text logs: the documented patterns, unambiguous detection, and broken or foreign files."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.sources.csv_loggers import KerasRunSource
from runwise.adapters.sources.text_logs import TextLogRunSource
from runwise.adapters.sources.text_logs.patterns import parse_line
from runwise.adapters.sources.text_logs.reader import looks_like_text_log, read_text_log
from tests.frameworks import framework_runs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "iter 100: loss 4.2134, time 31.20ms, mfu 12.30%",
            ("iter", 100, {"loss": 4.2134, "time_ms": 31.2, "mfu_pct": 12.3}),
        ),
        ("step 500: train loss 3.1000, val loss 3.3000", ("step", 500, {"train_loss": 3.1, "val_loss": 3.3})),
        (
            "epoch 3: train_loss 0.41 | val_loss 0.52 | lr 3e-4",
            ("epoch", 3, {"train_loss": 0.41, "val_loss": 0.52, "lr": 3e-4}),
        ),
        ("step=1200 loss=0.52 lr=3.0e-04", ("step", 1200, {"loss": 0.52, "lr": 3e-4})),
        ("Epoch 3/10: loss: 0.5, acc: 0.9", ("epoch", 3, {"loss": 0.5, "acc": 0.9})),
        ("2024-01-01 12:00:00 INFO step 5: loss 1.5", ("step", 5, {"loss": 1.5})),
        ("step 500: saving checkpoint to out/", None),
        ("number of parameters: 123.45M", None),
        ("the step 5 was fine", None),
        ("0,1.5,1.7", None),
        ('{"step": 1, "loss": 0.5}', None),
    ],
)
def test_documented_patterns_and_nothing_looser(line: str, expected: tuple[str, int, dict[str, float]] | None) -> None:
    assert parse_line(line) == expected


def test_nan_and_infinities_are_values() -> None:
    hit = parse_line("iter 7: loss nan, grad inf, delta -inf")
    assert (
        hit is not None and math.isnan(hit[2]["loss"]) and hit[2]["grad"] == math.inf and hit[2]["delta"] == -math.inf
    )


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\x00\x01binary",
        b"epoch,loss,val_loss\n0,1.5,1.7\n1,1.2,1.4\n",  # a Keras CSV is the CSV source's
        b'{"step": 1, "loss": 0.5}\n{"step": 2, "loss": 0.4}\n',
        b"step 1: loss 0.5\nall good\n",  # one metrics line among others is not enough
        b"Traceback (most recent call last):\n  File x, line 3\nValueError: step 3: bad\n",
    ],
)
def test_only_unambiguous_files_are_text_logs(head: bytes) -> None:
    assert not looks_like_text_log(head)


def test_a_keras_log_named_dot_log_belongs_to_the_csv_source(tmp_path: Path) -> None:
    (tmp_path / "training.log").write_text("epoch,loss,val_loss\n0,1.5,1.7\n1,1.2,1.4\n")
    (tmp_path / "train.log").write_text(
        "iter 0: loss 2.0, time 1.0ms, mfu -100.00%\niter 1: loss 1.9, time 1.0ms, mfu -100.00%\n"
    )
    assert [i.id for i in TextLogRunSource(tmp_path).list_runs()] == ["train"]
    assert [i.id for i in KerasRunSource(tmp_path).list_runs()] == ["training"]


def test_nanogpt_log_from_a_real_training_loop(tmp_path: Path) -> None:
    shutil.copytree(framework_runs("text") / "trained", tmp_path / "logs")
    source = TextLogRunSource(tmp_path / "logs")
    assert sorted(i.id for i in source.list_runs()) == ["shakespeare-char", "shakespeare-char-lr-too-high"]
    run = source.load_run("shakespeare-char")
    assert run.series["loss"].steps.tolist() == list(range(61))
    assert run.series["val_loss"].steps.tolist() == [0, 20, 40, 60]
    assert set(run.series) == {"loss", "time_ms", "mfu_pct", "train_loss", "val_loss"}
    assert run.config == {"learning_rate": 0.5, "max_iters": 60, "eval_interval": 20}


def test_structures_learnt_from_the_head_and_the_full_parser_agree() -> None:
    lines = [f"iter {i}: loss {4 - i / 1000:.4f}, time 3.0ms, mfu 1.00%" for i in range(3000)]
    lines[2500] = "iter 2500: loss nan, time 3.0ms, mfu 1.00%"  # another structure, past the learnt head
    lines.insert(1200, "step 1200: train loss 3.5, val loss 3.6")
    lines.insert(0, "Overriding: batch_size = 12")
    log = read_text_log(("\n".join(lines) + "\n").encode())
    loss = log.series["loss"]
    assert loss.steps.tolist() == list(range(3000)) and math.isnan(loss.values[2500])
    np.testing.assert_allclose(loss.values[:10], [4 - i / 1000 for i in range(10)])
    assert log.series["val_loss"].steps.tolist() == [1200] and log.config == {"batch_size": 12}


def test_epoch_lines_in_a_step_log_sit_at_the_step_before_them() -> None:
    text = "step 10: loss 1.0\nstep 20: loss 0.9\nepoch 1: val_loss 1.1\nstep 30: loss 0.8\nepoch 2: val_loss 1.0\n"
    log = read_text_log(text.encode())
    assert log.series["val_loss"].steps.tolist() == [20, 30] and log.series["epoch"].values.tolist() == [1, 2]


def test_a_half_written_last_line_waits(tmp_path: Path) -> None:
    (tmp_path / "run.log").write_text("iter 0: loss 2.0\niter 1: loss 1.9\niter 2: loss 1.")
    run = TextLogRunSource(tmp_path).load_run("run")
    assert run.series["loss"].steps.tolist() == [0, 1] and run.warnings


def test_nothing_is_written_into_the_log_folder(tmp_path: Path) -> None:
    shutil.copytree(framework_runs("text") / "trained", tmp_path / "logs")
    before = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    source = TextLogRunSource(tmp_path)
    for info in source.list_runs():
        source.load_run(info.id)
    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before
