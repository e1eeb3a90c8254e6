"""The installed `runwise` console script, as a person runs it in a shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _runwise() -> str:
    found = shutil.which("runwise") or str(Path(sys.executable).parent / "runwise")
    if not Path(found).exists():
        pytest.fail("the runwise console script is not installed: pip install -e .")
    return found


def test_installed_command_summarises_latest() -> None:
    result = subprocess.run([_runwise(), "--dir", str(EXAMPLES), "latest"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.returncode == 0 and result.stderr == ""
    assert "Anomalies" in result.stdout or "No problems" in result.stdout or "metric" in result.stdout


def test_python_dash_m_works() -> None:
    result = subprocess.run([sys.executable, "-m", "runwise", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("runwise ")


def test_closed_pipe_prints_no_traceback() -> None:
    command = f"'{_runwise()}' --dir '{EXAMPLES}' stats lr-too-high | head -1; '{_runwise()}' --dir '{EXAMPLES}' history lr-too-high -k train/loss,train/acc,grad_norm,lr --samples 5000 | head -c 10"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.stdout.startswith("lr-too-high")


def test_error_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [_runwise(), "--dir", str(EXAMPLES), "run", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("runwise: error: no run matches 'nope'")


def test_the_script_prints_all_of_a_long_answer_before_its_quick_exit(tmp_path: Path) -> None:
    """The console script ends with os._exit (cli/console.py), which skips the interpreter's own final flush: an
    answer far longer than a pipe's buffer must still come out whole and equal to what `main` prints in-process,
    through the installed script and through `python -m runwise`."""

    import io

    from runwise.entrypoints.cli import main

    argv = [
        "--dir",
        str(EXAMPLES),
        "--no-color",
        "--no-cache",
        "history",
        "lr-too-high",
        "-k",
        "train/loss,train/acc,grad_norm,lr",
        "--samples",
        "5000",
    ]
    out = io.StringIO()
    assert main(argv, stdout=out) == 0
    env = {**os.environ, "RUNWISE_CACHE_DIR": str(tmp_path)}
    for script in ([_runwise()], [sys.executable, "-m", "runwise"]):
        result = subprocess.run([*script, *argv], capture_output=True, text=True, timeout=60, env=env)
        assert (result.returncode, result.stderr) == (0, "")
        assert len(result.stdout) > 65536 and result.stdout == out.getvalue()


@pytest.mark.parametrize(("given", "seen"), [(None, "__all__"), ("", ""), ("logfire", "logfire")])
def test_the_script_skips_pydantic_plugin_lookup_unless_the_user_chose(given: str | None, seen: str) -> None:
    """The script spares every call pydantic's scan of all installed distributions for plugins; a value the user
    set (even empty, which turns plugins back on) is kept."""
    probe = (
        "import os\n"
        "from runwise.entrypoints.cli import console\n"
        "console.main = lambda: print(repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS'))) or 0\n"
        "console.run()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stdout == f"{seen!r}\n", done.stderr
