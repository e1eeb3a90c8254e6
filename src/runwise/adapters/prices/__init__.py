"""The accelerator price table shipped with Runwise, with the user's overrides laid over it."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from importlib import resources

from runwise.domain.cost import PriceTable
from runwise.domain.errors import InvalidInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def price_table(overrides: Mapping[str, float] | None = None) -> PriceTable:
    """The shipped table; `overrides` (from the config file) replace or add entries."""
    data = tomllib.loads(resources.files(__package__).joinpath("accelerator_prices.toml").read_text("utf-8"))
    prices = {str(k): float(v) for k, v in data["prices"].items()}
    for name, value in (overrides or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise InvalidInput(f"price for '{name}' must be a number of USD per hour, got {value!r}")
        prices[name] = float(value)
    basis = data["basis"] + ("; with prices from the config file" if overrides else "")
    return PriceTable(prices, str(data["as_of"]), basis)
