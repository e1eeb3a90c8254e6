"""TensorBoard run state from the hparams session-end record (issue 10 point 3).

The event files are written by tensorboardX with the session records TensorBoard's hparams API
writes (HParamsPluginData session_start_info / session_end_info, from tensorboardX's copies of the
protos), as a training script that reports how its session ended does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runwise.adapters.sources.tensorboard import TensorBoardRunSource


def _session_summary(tag: str, **data: object) -> object:
    """A Summary carrying HParamsPluginData, built with tensorboardX's copies of TensorBoard's protos."""
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata

    plugin = SummaryMetadata.PluginData(plugin_name="hparams", content=HParamsPluginData(**data).SerializeToString())
    return Summary(value=[Summary.Value(tag=tag, metadata=SummaryMetadata(plugin_data=plugin))])


def _write(folder: Path, status: str | None, steps: int = 20) -> None:
    from tensorboardX import SummaryWriter
    from tensorboardX.proto.api_pb2 import Status
    from tensorboardX.proto.plugin_hparams_pb2 import SessionEndInfo, SessionStartInfo

    with SummaryWriter(str(folder)) as writer:
        start = SessionStartInfo()
        start.hparams["lr"].number_value = 0.01
        start.hparams["batch"].number_value = 32
        writer.file_writer.add_summary(_session_summary("_hparams_/session_start_info", session_start_info=start))
        for step in range(steps):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
        if status is not None:
            end = SessionEndInfo(status=Status.Value(status), end_time_secs=1_700_000_100.0)
            writer.file_writer.add_summary(_session_summary("_hparams_/session_end_info", session_end_info=end))


@pytest.mark.parametrize(
    ("status", "state"),
    [("STATUS_SUCCESS", "finished"), ("STATUS_FAILURE", "crashed"), (None, "unknown")],
)
def test_the_recorded_session_status_is_the_run_state(tmp_path: Path, status: str | None, state: str) -> None:
    import os

    _write(tmp_path / "run", status)
    for path in (tmp_path / "run").iterdir():
        os.utime(path, (1_700_000_000, 1_700_000_000))  # written long ago: the file clock says nothing
    source = TensorBoardRunSource(tmp_path)
    (info,) = source.list_runs()
    assert info.state == state
    run = source.load_run(info.id)
    assert run.info.state == state
    assert run.config == {"lr": 0.01, "batch": 32}
