from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runwise.adapters.templates import template_names
from runwise.config import Settings, load_schema_file
from runwise.domain.roles import Role
from runwise.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--dir", str(EXAMPLES), *argv], stdout=out), out.getvalue()


def test_init_from_run_writes_a_schema_runwise_reads(tmp_path: Path) -> None:
    target = tmp_path / "schema.toml"
    code, text = _cli("init", "--from-run", "baseline", "-o", str(target))
    assert code == 0 and "wrote" in text
    schema = Settings.load(cwd=tmp_path, env={}, schema_file=target).schema()
    assert schema.role("val/loss") is Role.VAL_LOSS and schema.direction("val/acc") is True
    assert schema.role("lr") is Role.LR and "train" in schema.groups


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.toml"
    target.write_text("keep me")
    code, _ = _cli("init", "--from-run", "baseline", "-o", str(target))
    assert code == 2 and target.read_text() == "keep me" and "--force" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["huggingface-trainer", "pytorch-lightning", "keras", "nanogpt"])
def test_every_template_is_valid(name: str, tmp_path: Path) -> None:
    assert name in template_names()
    code, text = _cli("init", "--template", name, "-o", "-")
    assert code == 0
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    assert load_schema_file(path)["loss"]


def test_unknown_template_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _cli("init", "--template", "nope")
    assert code == 2 and "keras" in capsys.readouterr().err


def test_wheel_ships_the_templates(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("runwise-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("huggingface-trainer", "pytorch-lightning", "keras", "nanogpt"):
        assert f"runwise/schemas/templates/{name}.toml" in names
