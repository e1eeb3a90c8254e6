"""Real runs from every contract seeder that writes files, seeded once for the robustness tests.

The fuzz suite damages copies of them and the read-only proof hashes them before and after every
command, so both read the same folder. Seeders whose runs live on a server (`mlflow_server`) are left
out: they put nothing under the log folder to damage or to guard.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import tests.contract.seeders as seeders
from tests.contract.spec import standard_specs

SERVER_SEEDERS = frozenset({"memory", "mlflow_server"})  # no files under the log folder


def file_seeders() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(seeders.__path__) if m.name not in SERVER_SEEDERS)


@pytest.fixture(scope="session")
def seeded_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`logs/<seeder>/...` for every seeder whose library is installed here. Tests copy before damaging."""
    root = tmp_path_factory.mktemp("robustness") / "logs"
    for name in file_seeders():
        module = importlib.import_module(f"tests.contract.seeders.{name}")
        folder = root / name
        folder.mkdir(parents=True)
        try:
            module.seed(standard_specs(), folder)
        except (ImportError, RuntimeError):  # its library is not installed here
            continue
    return root
