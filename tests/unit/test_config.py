from __future__ import annotations

from pathlib import Path

import pytest

from runwise.config import Settings
from runwise.domain.errors import ConfigError
from runwise.domain.roles import Role


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    (tmp_path / "runwise.toml").write_text('format = "md"\nbudget = 300\nstep_key = "it"\n')
    s = Settings.load(cwd=tmp_path, env={})
    assert (s.format, s.budget, s.step_key) == ("md", 300, "it")
    s = Settings.load(cwd=tmp_path, env={"RUNWISE_BUDGET": "500"})
    assert (s.format, s.budget) == ("md", 500)
    s = Settings.load(cwd=tmp_path, env={"RUNWISE_BUDGET": "500"}, budget=700, format=None)
    assert (s.format, s.budget) == ("md", 700)


def test_pyproject_tool_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.runwise]\ndir = "logs"\n')
    assert Settings.load(cwd=tmp_path, env={}).dir == tmp_path / "logs"


def test_no_color_env(tmp_path: Path) -> None:
    assert Settings.load(cwd=tmp_path, env={"NO_COLOR": "1"}).color is False


def test_unknown_field_names_file_field_and_fix(tmp_path: Path) -> None:
    (tmp_path / "runwise.toml").write_text("budgett = 3\n")
    with pytest.raises(ConfigError) as err:
        Settings.load(cwd=tmp_path, env={})
    message = str(err.value)
    assert "runwise.toml" in message and "budgett" in message and "spelling" in message


def test_bad_value_is_named(tmp_path: Path) -> None:
    (tmp_path / "runwise.toml").write_text('format = "xml"\n')
    with pytest.raises(ConfigError, match="format"):
        Settings.load(cwd=tmp_path, env={})


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "runwise.toml").write_text("budget = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.load(cwd=tmp_path, env={})


def test_schema_file_sets_roles_and_directions(tmp_path: Path) -> None:
    schema = tmp_path / "schema.toml"
    schema.write_text(
        '[schema]\nloss = ["objective"]\nvalidation = ["holdout/*"]\nhigher_is_better = ["holdout/score"]\n'
        'percent = ["holdout/score"]\n[schema.thresholds]\nspike_z = 12\n'
    )
    s = Settings.load(cwd=tmp_path, env={}, schema_file=schema).schema()
    assert s.role("objective") is Role.LOSS
    assert s.role("holdout/score") is Role.VAL_ACCURACY and s.direction("holdout/score") is True
    assert s.is_percent("holdout/score") and s.threshold("spike_z", 8) == 12


def test_schema_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text('{"loss": ["x"], "thresholds": {"spike_z": "high"}}')
    with pytest.raises(ConfigError) as err:
        Settings.load(cwd=tmp_path, env={}, schema_file=schema)
    assert "schema.json" in str(err.value) and "thresholds.spike_z" in str(err.value)


def test_missing_schema_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as err:
        Settings.load(cwd=tmp_path, env={}, schema_file=tmp_path / "nope.toml")
    # the hint names the capability; each interface spells it (the API: init(), the CLI: runwise init)
    assert str(err.value).endswith("check the path, or draft one with init()")
    from runwise.entrypoints.capabilities.wording import TOOL_WORDING, CliWording

    assert err.value.words(CliWording()).endswith("draft one with runwise init")
    assert err.value.words(TOOL_WORDING).endswith("draft one with generate_schema")
