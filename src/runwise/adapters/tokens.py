"""Token counters: a fast estimator calibrated against o200k BPE, and an exact one when installed.

The estimator mirrors the BPE pre-tokenizer (words with their leading space, digits in groups of
three, punctuation runs, whitespace) and prices each piece as o200k does on Runwise's own output:
key names, numbers, tables and Unicode sparklines. `len(text) // 4` is off by 30–60% there
(digits and block characters cost far more than four characters a token). Its accuracy is
checked in tests/unit/test_tokens.py against the real o200k and cl100k encoders.
"""

from __future__ import annotations

import re

_PIECE = re.compile(
    r"""
    (?P<word>\ ?[A-Za-z]+)
  | (?P<digits>[0-9]{1,3})
  | (?P<blocks>[\u2580-\u259f]+)
  | (?P<wide>[^\x00-\x7f])
  | (?P<newline>\s*[\r\n]+)
  | (?P<space>[ \t]+)
  | (?P<punct>\ ?[^\sA-Za-z0-9\x80-\U0010ffff]{1,3})
    """,
    re.VERBOSE,
)
_UPPER_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
BLOCK_TOKENS_PER_CHAR = 1.75  # ▁▂▃▅▇: three UTF-8 bytes each, usually two BPE tokens


def _word_tokens(word: str) -> float:
    word = word.lstrip(" ")
    total = 0.0
    for part in _UPPER_SPLIT.findall(word) or [word]:
        n = len(part)
        total += 1.0 if n <= 8 else 1.0 + (n - 8) / 4.0
    return total


class EstimatingTokenCounter:
    """Counts o200k-class tokens within a few percent on Runwise output, with no dependency."""

    name = "estimate-o200k"

    def count(self, text: str) -> int:
        total = 0.0
        for match in _PIECE.finditer(text):
            kind = match.lastgroup
            piece = match.group()
            if kind == "word":
                total += _word_tokens(piece)
            elif kind == "blocks":
                total += BLOCK_TOKENS_PER_CHAR * len(piece)
            else:
                total += 1.0
        return int(round(total))


class BpeTokenCounter:
    """The exact o200k_base (or cl100k_base) count, from the optional `tokens` extra (bpe-openai)."""

    def __init__(self, encoding: str = "o200k_base") -> None:
        from runwise.domain.errors import MissingExtra

        try:
            import bpe_openai
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingExtra("bpe-openai", "tokens", "Exact token counting") from exc
        self._encoding = bpe_openai.get_encoding(encoding)
        self.name = encoding

    def count(self, text: str) -> int:
        return len(self._encoding.encode(text))


def default_counter(kind: str = "estimate") -> EstimatingTokenCounter | BpeTokenCounter:
    """`estimate` (default, no dependency) or an exact encoding name such as `o200k_base`."""
    if kind in ("estimate", "", None):
        return EstimatingTokenCounter()
    return BpeTokenCounter(kind)
