"""Neptune data after the service shut down: 1.x offline folders, neptune-scale databases, exporter Parquet."""

from runwise.adapters.sources.neptune.source import NeptuneRunSource

__all__ = ["NeptuneRunSource"]
