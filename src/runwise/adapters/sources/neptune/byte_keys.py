"""Many short byte strings inside one buffer (attribute paths, entry keys) grouped by content in array passes.

Each string is copied into a row of a block (one block copy per string: numpy's fancy indexing of a sliding
window copies whole rows, ~10x faster than gathering 8-byte words one by one), hashed 8 bytes at a time,
grouped by hash, and then every row is compared in full with its group's first row, so two different
strings can never share a group: a hash collision gives None and the caller decodes those strings one by one.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray


def group_keys(
    padded: NDArray[np.uint8], first: NDArray[np.int64], length: NDArray[np.int64]
) -> tuple[list[bytes], NDArray[np.int64]] | None:
    """Distinct strings `padded[first:first+length]` and each string's index into them (None on a collision).
    `padded` must hold at least max(length) rounded up to 8 bytes after the last string."""
    if not first.size:
        return [], np.empty(0, dtype=np.int64)
    width = max(-(-int(length.max()) // 8) * 8, 8)
    block = sliding_window_view(padded, width)[first]
    block[np.arange(width) >= length[:, None]] = 0
    words = block.view("<u8")
    key = length.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for column in range(words.shape[1]):
        key = (key ^ words[:, column]) * np.uint64(0x100000001B3)
    _, firsts, inverse = np.unique(key, return_index=True, return_inverse=True)
    code = inverse.astype(np.int64).ravel()
    if not (words == words[firsts][code]).all():
        return None
    return [block[i, : length[i]].tobytes() for i in firsts.tolist()], code
