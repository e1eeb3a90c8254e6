from __future__ import annotations

import pytest

from runwise.domain.errors import InvalidInput
from runwise.domain.refs import RunRef, parse_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("latest", RunRef("latest")),
        ("3kx9a1", RunRef("3kx9a1")),
        ("wandb:3kx9a1", RunRef("3kx9a1", "wandb")),
        ("tb:runs/exp1", RunRef("runs/exp1", "tensorboard")),
        ("jsonl:logs/train.jsonl@5000", RunRef("logs/train.jsonl", "jsonl", 5000)),
        ("latest@1_000", RunRef("latest", None, 1000)),
        ("latest@12,000", RunRef("latest", None, 12000)),
        ("wandb://team/proj/abc", RunRef("wandb://team/proj/abc", "wandb")),
        ("http://127.0.0.1:5000", RunRef("http://127.0.0.1:5000")),
        ("C:run", RunRef("C:run")),  # unknown prefix: not a source
        ("./runs/a", RunRef("./runs/a")),
    ],
)
def test_parse_ref(text: str, expected: RunRef) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "@100", "run@-5"])
def test_bad_refs_are_clear_errors(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_ref(text)


def test_a_tracking_server_given_as_a_run_is_worded_per_interface() -> None:
    """The hint names where runs are read and the list capability; each interface spells both its own way."""
    from runwise.bootstrap import remote_source
    from runwise.domain.errors import InvalidInput
    from runwise.entrypoints.capabilities.wording import TOOL_WORDING, CliWording

    with pytest.raises(InvalidInput, match="names a tracking server, not a run") as err:
        remote_source("http://127.0.0.1:5000/")
    assert err.value.words(CliWording()).endswith(
        "pass the server as --dir URL (or set MLFLOW_TRACKING_URI), list its runs with runwise list, "
        "then pass mlflow:RUN_ID"
    )
    tool = err.value.words(TOOL_WORDING)
    assert "list its runs with list_runs" in tool and "--" not in tool and "runwise list" not in tool
    assert "pass dir= the server's URL" in str(err.value)
