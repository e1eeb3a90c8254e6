"""Fixtures: the trained sweep (once per session), behind a Catalog in memory or as JSONL files."""

from __future__ import annotations

from pathlib import Path

import pytest

from runwise.adapters.sources.jsonl import JsonlRunSource
from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.domain.model import Run
from runwise.services.catalog import Catalog
from tests.unit.compare.sweep import Trained, to_run, train_sweep, write_jsonl


@pytest.fixture(scope="session")
def sweep() -> list[Trained]:
    return train_sweep()


@pytest.fixture(scope="session")
def sweep_runs(sweep: list[Trained]) -> list[Run]:
    return [to_run(t, order) for order, t in enumerate(sweep)]


@pytest.fixture
def by_name(sweep: list[Trained]) -> dict[str, Trained]:
    return {t.name: t for t in sweep}


@pytest.fixture
def catalog(sweep_runs: list[Run]) -> Catalog:
    return Catalog([InMemoryRunSource(sweep_runs)])


@pytest.fixture
def jsonl_catalog(sweep: list[Trained], tmp_path: Path) -> Catalog:
    write_jsonl(sweep, tmp_path / "logs")
    return Catalog([JsonlRunSource(tmp_path / "logs")])
