"""Plain-text training logs (nanoGPT's kind), read by a small documented set of line patterns."""

from runwise.adapters.sources.text_logs.source import TextLogRunSource

__all__ = ["TextLogRunSource"]
