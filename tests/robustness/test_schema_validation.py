"""Schema and config files are validated: one line naming file, field and fix (issue 10 point 4)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from runwise.config import Settings
from runwise.domain.errors import ConfigError
from runwise.entrypoints.cli import main


def _schema_error(tmp_path: Path, text: str, name: str = "schema.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        Settings.load(cwd=tmp_path, env={}, schema_file=path).schema()
    message = str(err.value)
    assert "\n" not in message and name in message
    return message


@pytest.mark.parametrize("text", ["loss = 3\n", "loss = [1, 2]\n", "validation = {a = 1}\n", "lr = true\n"])
def test_a_wrong_type_is_one_line_naming_the_field(tmp_path: Path, text: str) -> None:
    field = text.split(" ")[0]
    message = _schema_error(tmp_path, text)
    assert f"field '{field}" in message and "TypeError" not in message and "e.g." in message


def test_an_unknown_threshold_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    message = _schema_error(tmp_path, "[thresholds]\nspike_zz = 12\n")
    assert "spike_zz" in message and "did you mean 'spike_z'" in message


def test_an_unknown_field_suggests_the_near_one(tmp_path: Path) -> None:
    message = _schema_error(tmp_path, 'los = ["train/loss"]\n')
    assert "did you mean 'loss'" in message


def test_an_unknown_setting_suggests_the_near_one(tmp_path: Path) -> None:
    (tmp_path / "runwise.toml").write_text("budgett = 500\n")
    with pytest.raises(ConfigError, match="did you mean 'budget'"):
        Settings.load(cwd=tmp_path, env={})


def test_the_cli_says_it_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "run.jsonl").write_text('{"step": 1, "loss": 0.5}\n')
    (tmp_path / "schema.toml").write_text("loss = 3\n")
    code = main(["--dir", str(tmp_path), "--schema", str(tmp_path / "schema.toml"), "list"], stdout=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "unexpected" not in err
