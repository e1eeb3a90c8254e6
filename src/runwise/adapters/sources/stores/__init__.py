"""Stores of trackers that no configured source reads: found, named, and reported (never "no runs")."""

from runwise.adapters.sources.stores.scout import StoreScout

__all__ = ["StoreScout"]
