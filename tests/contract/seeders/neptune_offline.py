"""Neptune runs written by the real neptune 1.x client in offline mode (see tests/neptune_writers.py).

neptune 1.x refuses NaN and ±Inf at log time (it stores nothing and warns once per kind); the source
puts them back from that warning, so this seeder passes the same NaN/Inf checks as the others."""

from __future__ import annotations

from tests import neptune_writers

NAME = "neptune-offline"
_SEEDER = neptune_writers.ClientSeeder("offline")
seed = _SEEDER.seed
seed_empty = _SEEDER.seed_empty
