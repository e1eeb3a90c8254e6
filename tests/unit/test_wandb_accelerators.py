"""Accelerator type and count from a W&B run. No GPU is here, so the real wandb cannot record one: the environment
record is built with wandb's own protobuf classes and framed as wandb frames it (the writer the W&B benchmark uses)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from runwise.adapters.sources.wandb_local import WandbLocalRunSource

ROOT = Path(__file__).resolve().parents[2]


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_wandb", ROOT / "bench" / "bench_wandb.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_type_and_count_come_from_the_environment_record(tmp_path: Path) -> None:
    from wandb.proto import wandb_internal_pb2 as pb

    folder = tmp_path / "wandb" / "offline-run-20260101_000000-gpu1"
    folder.mkdir(parents=True)
    with (folder / "run-gpu1.wandb").open("wb") as stream:
        log = _bench().LevelDBLogWriter(stream)
        log.write(pb.Record(num=1, header=pb.HeaderRecord()).SerializeToString())
        log.write(pb.Record(num=2, run=pb.RunRecord(run_id="gpu1", project="p")).SerializeToString())
        env = pb.EnvironmentRecord(gpu_type="NVIDIA A100-SXM4-80GB", gpu_count=8, host="node-3")
        log.write(pb.Record(num=3, environment=env).SerializeToString())
        history = pb.HistoryRecord(item=[pb.HistoryItem(key="loss", value_json="0.5")], step=pb.HistoryStep(num=0))
        log.write(pb.Record(num=4, history=history).SerializeToString())
        log.write(pb.Record(num=5, exit=pb.RunExitRecord(exit_code=0, runtime=3600)).SerializeToString())
    info = WandbLocalRunSource(tmp_path).list_runs()[0]
    assert (info.accelerator, info.accelerator_count) == ("NVIDIA A100-SXM4-80GB", 8)


def test_gpu_from_the_metadata_side_file(tmp_path: Path) -> None:
    folder = tmp_path / "wandb" / "run-20260101_000000-side1"
    (folder / "files").mkdir(parents=True)
    (folder / "files" / "wandb-metadata.json").write_text(json.dumps({"gpu": "Tesla T4", "gpu_count": 2}))
    (folder / "files" / "wandb-summary.json").write_text(json.dumps({"loss": 0.1, "_step": 3}))
    runs = WandbLocalRunSource(tmp_path).list_runs()
    assert [(r.accelerator, r.accelerator_count) for r in runs] == [("Tesla T4", 2)]
