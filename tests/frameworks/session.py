"""One child process per framework per test session; its output folder is shared by every test."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
_DONE: dict[str, Path] = {}
_SESSION: list[Path] = []
TIMEOUT_S = 600.0


def _session_dir() -> Path:
    if not _SESSION:
        folder = Path(tempfile.mkdtemp(prefix="runwise-frameworks-"))
        atexit.register(shutil.rmtree, folder, True)
        _SESSION.append(folder)
    return _SESSION[0]


def child_env(base: Path) -> dict[str, str]:
    """Offline, with every cache in `base`, torch on one thread (the machine is shared), Keras on torch."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(_REPO), str(_REPO / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HOME=str(base / ".hf"),
        KERAS_BACKEND="torch",
        KERAS_HOME=str(base / ".keras"),
        TORCH_HOME=str(base / ".torch"),
        XDG_CACHE_HOME=str(base / ".cache"),
        MPLCONFIGDIR=str(base / ".mpl"),
        OMP_NUM_THREADS="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONWARNINGS="ignore",
        WANDB_MODE="disabled",
    )
    return env


def framework_runs(framework: str) -> Path:
    """The folder the `framework` child wrote (see the package docstring); written once per session."""
    if framework not in _DONE:
        out = _session_dir() / framework
        out.mkdir(parents=True)
        proc = subprocess.run(
            [sys.executable, "-m", f"tests.frameworks.{framework}_writer", str(out)],
            cwd=str(out),
            env=child_env(_session_dir()),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{framework} writer failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
            )
        _DONE[framework] = out
    return _DONE[framework]


def copy_run(folder: Path, target: Path) -> Path:
    """A copy of one written run under `target` (tests may cut or touch their copy)."""
    dest = target / folder.name
    shutil.copytree(folder, dest)
    return dest
