"""The TokenCounter port: how many LLM tokens a text costs."""

from __future__ import annotations

from typing import Protocol


class TokenCounter(Protocol):
    """Counts tokens as an o200k/cl100k-class BPE tokenizer would (within 10% for the default)."""

    name: str

    def count(self, text: str) -> int: ...
