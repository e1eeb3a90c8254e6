"""JSONL source: one JSON object per line, one file per run."""

from runwise.adapters.sources.jsonl.source import JsonlRunSource

__all__ = ["JsonlRunSource"]
