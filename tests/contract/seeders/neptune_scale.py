"""Neptune runs written by the real neptune-scale client in offline mode (see tests/neptune_writers.py)."""

from __future__ import annotations

from tests import neptune_writers

NAME = "neptune-scale"
_SEEDER = neptune_writers.ClientSeeder("scale")
seed = _SEEDER.seed
seed_empty = _SEEDER.seed_empty
