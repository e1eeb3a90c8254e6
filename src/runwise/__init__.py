"""Runwise: understand ML training runs in the fewest tokens."""

__version__ = "0.1.0"
