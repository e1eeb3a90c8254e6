"""Shared pytest configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.frameworks.staged_writer import StagedWriter


@pytest.fixture(scope="session", autouse=True)
def private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Parsed runs go to a folder of this session, never to the user's cache: RUNWISE_CACHE_DIR for in-process
    code and subprocesses, XDG_CACHE_HOME for tests that load settings without the environment or strip
    RUNWISE_* variables before starting a subprocess."""
    folder = tmp_path_factory.mktemp("cache")
    saved = {name: os.environ.get(name) for name in ("RUNWISE_CACHE_DIR", "XDG_CACHE_HOME")}
    os.environ["RUNWISE_CACHE_DIR"] = str(folder / "runwise")
    os.environ["XDG_CACHE_HOME"] = str(folder / "xdg")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def staged_writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagedWriter]:
    """One child logging with Lightning, Keras and mlflow on command, shared by the session (imports take seconds)."""
    from tests.frameworks.staged_writer import StagedWriter

    writer = StagedWriter(tmp_path_factory.mktemp("staged"))
    yield writer
    writer.close()
