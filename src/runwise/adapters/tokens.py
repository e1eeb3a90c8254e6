"""Token counters: a fast estimator calibrated against o200k BPE, and an exact one when installed.

The estimator splits text the way the o200k/cl100k pre-tokenizer does (a word with one leading
space or punctuation mark, digits in groups of three, punctuation runs with their newline,
whitespace) and prices each piece as BPE does on Runwise's own output: most pieces are one token,
long words and long punctuation runs more, and Unicode block characters (sparklines) about 1.75
each, since each is three UTF-8 bytes. `len(text) // 4` is off by 30–60% on such text. Accuracy
is checked in tests/unit/test_tokens.py against the real o200k and cl100k encoders.
"""

from __future__ import annotations

import math
import re

_LETTERS = "A-Za-z\u00c0-\u024f"
_PRE_TOKEN = re.compile(
    rf"[^\r\n{_LETTERS}0-9]?[{_LETTERS}]+"  # word, with one leading space or mark
    r"|[0-9]{1,3}"  # digits, three at a time
    rf"| ?[^\s{_LETTERS}0-9]+[\r\n/]*"  # punctuation and symbols, with trailing newlines
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"  # whitespace
)
_CAMEL = re.compile(r"[A-Z]?[a-z\u00c0-\u024f]+|[A-Z]+(?![a-z])")
BLOCK_TOKENS_PER_CHAR = 1.75  # ▁▂▃▅▇: three UTF-8 bytes each, usually two BPE tokens
WORD_CHARS_PER_TOKEN = 4.0
CALIBRATION = 1.03  # rare words (run names, ids) split more than the rules above assume


def _word_cost(piece: str) -> float:
    # a word glued to a mark ("/lr", ":jsonl", "_per") splits more often than one after a space
    total = 0.5 if not piece[0].isalpha() and not piece[0].isspace() else 0.0
    for part in _CAMEL.findall(piece) or [piece]:
        n = len(part)
        total += 1.0 if n <= 8 else 1.0 + (n - 8) / WORD_CHARS_PER_TOKEN
    return total


def _symbol_cost(piece: str) -> float:
    ascii_run = 0
    total = 0.0
    for char in piece.strip(" \r\n"):
        if char == "|":  # table pipes never merge with their neighbours
            total += 1.0
        elif char < "\x80":
            ascii_run += 1
        elif "\u2580" <= char <= "\u259f":
            total += BLOCK_TOKENS_PER_CHAR
        else:
            total += 1.0
    if ascii_run:
        total += math.ceil(ascii_run / 3)
    return max(total, 1.0)


def estimate_tokens(text: str) -> int:
    """Estimated o200k token count of `text`."""
    total = 0.0
    for match in _PRE_TOKEN.finditer(text):
        piece = match.group()
        first = piece[0]
        if (first.isspace() and piece.isspace()) or first.isdigit():
            total += 1.0
        elif any(c.isalpha() for c in piece):
            total += _word_cost(piece)
        else:
            total += _symbol_cost(piece)
    return round(total * CALIBRATION)


class EstimatingTokenCounter:
    """Counts o200k-class tokens within a few percent on Runwise output, with no dependency."""

    name = "estimate-o200k"

    def count(self, text: str) -> int:
        return estimate_tokens(text)


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
    if kind in ("estimate", ""):
        return EstimatingTokenCounter()
    return BpeTokenCounter(kind)
