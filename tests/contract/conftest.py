"""Every module in tests/contract/seeders opts its adapter into the contract suite."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import tests.contract.seeders as seeders_pkg


def _seeders() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(seeders_pkg.__path__))
    return [importlib.import_module(f"tests.contract.seeders.{name}") for name in names]


SEEDERS = _seeders()


def _ids(modules: list[ModuleType]) -> list[str]:
    return [m.NAME for m in modules]


@pytest.fixture(params=SEEDERS, ids=_ids(SEEDERS))
def seeder(request: pytest.FixtureRequest) -> ModuleType:
    return request.param  # type: ignore[no-any-return]


WITH_EMPTY = [m for m in SEEDERS if hasattr(m, "seed_empty")]
WITH_TRUNCATE = [m for m in SEEDERS if hasattr(m, "truncate_tail")]


@pytest.fixture(params=WITH_EMPTY, ids=_ids(WITH_EMPTY))
def empty_seeder(request: pytest.FixtureRequest) -> ModuleType:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=WITH_TRUNCATE, ids=_ids(WITH_TRUNCATE))
def truncating_seeder(request: pytest.FixtureRequest) -> ModuleType:
    return request.param  # type: ignore[no-any-return]
