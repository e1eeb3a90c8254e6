"""CSV metric logs read as their loggers write them: Lightning CSVLogger, Keras CSVLogger, Ultralytics."""

from runwise.adapters.sources.csv_loggers.source import KerasRunSource, LightningRunSource, UltralyticsRunSource

__all__ = ["KerasRunSource", "LightningRunSource", "UltralyticsRunSource"]
