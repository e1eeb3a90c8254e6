"""Session fixtures for the analysis tests: the trained corpus is built once."""

from __future__ import annotations

import pytest

from tests.unit.analysis.corpus import Case, build_healthy, build_problems
from tests.unit.analysis.short.corpus import ShortCase, build


@pytest.fixture(scope="session")
def healthy() -> dict[str, Case]:
    """Healthy runs over seeds and lr schedules (warmup+cosine, constant, step, linear, softmax regression)."""
    return build_healthy()


@pytest.fixture(scope="session")
def problems() -> dict[str, Case]:
    """One trained run per problem, each with its true onset steps."""
    return build_problems()


@pytest.fixture(scope="session")
def short_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ShortCase]:
    """Epoch-level runs really trained, written as JSON lines in four frameworks' key names, read back (~3 s)."""
    return build(tmp_path_factory.mktemp("short-runs"))
