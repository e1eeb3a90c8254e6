"""MCP roots hold for files linked in from outside, and odd REFs are clean refusals (issue 10 point 11)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp import Client

from runwise.entrypoints.mcp.server import build_server
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def event_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tensorboardX import SummaryWriter

    folder = tmp_path_factory.mktemp("outside_tb")
    with SummaryWriter(str(folder)) as writer:
        for step in range(5):
            writer.add_scalar("secret/loss", 1.0 / (step + 1), step)
    return folder


@pytest.fixture
def roots(tmp_path: Path, event_folder: Path) -> Path:
    root = tmp_path / "logs"
    (root / "own").mkdir(parents=True)
    (root / "own" / "train.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    linked = root / "linked_tb"
    linked.mkdir()
    (event_file,) = event_folder.glob("*tfevents*")
    (linked / event_file.name).symlink_to(event_file)
    outside = tmp_path / "outside_wandb" / "run-20260101_000000-abc123"
    outside.mkdir(parents=True)
    (outside / "run-abc123.wandb").write_bytes(b":W&B\xe1\xbe\x00")
    wandb_run = root / "wandb" / "run-20260101_000000-abc123"
    wandb_run.mkdir(parents=True)
    (wandb_run / "run-abc123.wandb").symlink_to(outside / "run-abc123.wandb")
    return root


@pytest.fixture
async def client(roots: Path, tmp_path: Path) -> AsyncIterator[Client]:
    async with Client(build_server(app_for(roots, cwd=tmp_path)), raise_exceptions=True) as c:
        yield c


async def test_linked_event_and_wandb_files_are_not_listed_or_read(client: Client, roots: Path) -> None:
    listed = await client.call_tool("list_runs", {})
    ids = [run["id"] for run in listed.structured_content["runs"]]  # type: ignore[index]
    assert ids == ["own/train"]
    for tool, args in (
        ("get_stats", {"run": "linked_tb"}),
        ("get_config", {"run": str(roots / "linked_tb")}),
        ("summarize_run", {"run": "tensorboard:linked_tb"}),
        ("compare_runs", {"runs": ["own/train", "linked_tb"]}),
        ("get_stats", {"run": "wandb:abc123"}),
    ):
        result = await client.call_tool(tool, args)
        assert result.is_error, (tool, args)
        assert "secret" not in result.content[0].text  # type: ignore[union-attr]


async def test_a_link_inside_the_roots_stays_readable(client: Client, roots: Path) -> None:
    shutil.copy(roots / "own" / "train.jsonl", roots / "copy.jsonl")
    (roots / "own" / "alias.jsonl").symlink_to(roots / "copy.jsonl")
    listed = await client.call_tool("list_runs", {})
    assert "copy" in [run["id"] for run in listed.structured_content["runs"]]  # type: ignore[index]


@pytest.mark.parametrize("ref", ["own/\x00train", "\x00", "own/train\x00.jsonl", "a\nb"])
async def test_a_nul_byte_or_control_character_in_a_ref_is_a_clean_refusal(client: Client, ref: str) -> None:
    result = await client.call_tool("get_stats", {"run": ref})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "unexpected" not in text.lower() and "ValueError" not in text and "\n" not in text
