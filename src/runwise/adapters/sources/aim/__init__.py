"""Aim repositories (`.aim` folders), read in place and read-only with `aimrocks`; `aim` itself is not needed."""

from runwise.adapters.sources.aim.source import AimRunSource

__all__ = ["AimRunSource"]
