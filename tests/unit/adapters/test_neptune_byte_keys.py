"""Grouping many short byte strings of one buffer by content: every string lands with its equals, and only them."""

from __future__ import annotations

import numpy as np

from runwise.adapters.sources.neptune.byte_keys import group_keys


def _grouped(texts: list[bytes]) -> list[bytes]:
    joined = b"".join(texts)
    padded = np.frombuffer(joined + b"\0" * 48, dtype=np.uint8)  # the longest string, rounded up to 8 bytes
    length = np.array([len(t) for t in texts], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
    got = group_keys(padded, first, length)
    assert got is not None
    keys, code = got
    assert len(set(keys)) == len(keys)
    return [keys[c] for c in code.tolist()]


def test_strings_first_seen_late_are_grouped_by_their_whole_bytes() -> None:
    """A few keys many times, then keys met only after the first few hundred strings, of lengths 1 to 40."""
    texts = [b'"train", "loss"', b'"val", "grad_norm"'] * 400
    texts += [b"x", b'"train", "loss" ', b'"train", "losS"', b"y" * 40, b"y" * 39 + b"z", b'"train", "loss"']
    assert _grouped(texts) == texts


def test_strings_with_trailing_zero_bytes_are_not_their_prefix() -> None:
    texts = [b"ab", b"ab\0", b"ab\0\0\0\0\0\0\0", b"ab"]
    assert _grouped(texts) == texts
