"""Freed memory kept for reuse while a large log is decoded, instead of handed back to the kernel and faulted in
again for the next segment.

Decoding a segment (a 4 MiB JSONL chunk, a `.wandb` segment) makes numpy temporaries of a few MiB and frees them
a moment later. glibc serves blocks that large with mmap and unmaps them on free (or trims them off the top of
the heap), so the next segment faults every page in anew: ~45k minor faults for a 100k-step log. Raising the
mmap threshold to 32 MiB (the most glibc's own sliding threshold reaches) and the trim threshold to 128 MiB for
the duration of a read keeps those blocks in the heap; on leaving, the trim threshold comes down to 64 MiB (twice
the mmap threshold, as glibc's own sliding sets it), so the next free hands back a larger excess. Elsewhere than glibc
(no `mallopt`) this does nothing.

Measured in fresh processes, one read each, CPU user+sys, load average ~3: JSONL 100k-step `read_series` median
of 7 0.229 -> 0.198 s, W&B 100k-step `read_wandb_file` 0.571 -> 0.457 s; at 1M steps (one run each) W&B 6.76 ->
5.50 s (system time 1.83 -> 0.25 s), JSONL 2.70 -> 1.86 s, peak RSS 179 -> 182 MiB and 226 -> 215 MiB.

On leaving, `malloc_trim(0)` hands back at once all the heap the read freed (~90 MiB after a 1M-step JSONL read),
instead of letting the analysis fill that space and then grow past it: the analysis of every point needs
~80 MiB of short-lived arrays at 1M steps, so the peak was the read's leftovers plus that. Measured in-process
on the 1M-step JSONL bench log (1 MiB blocks): resident after reading 202 MiB, 113 MiB after the trim (7-11 ms);
peak RSS through the analysis 272-296 MiB without the trim, 229-234 MiB with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_MMAP = 32 << 20  # blocks up to this size come from the heap
_TRIM_DECODING, _TRIM_AFTER = 128 << 20, 64 << 20  # free heap kept at the top while decoding, and after
_lock = threading.Lock()
_depth = 0


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Within this block, freed memory stays in the process for reuse (nested and threaded use are fine)."""
    global _depth
    libc = _libc()
    if libc is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, _MMAP)
            libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_DECODING)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_AFTER)
                libc.malloc_trim(0)  # what the read freed goes back now, before the analysis takes its own


_LIBC: list[Any] = []


def _libc() -> Any:
    """glibc's handle, or None where there is no `mallopt` (macOS, Windows, musl without it)."""
    if not _LIBC:
        try:
            import ctypes

            libc = ctypes.CDLL(None)
            libc.mallopt  # noqa: B018  # glibc has it
        except (OSError, AttributeError):
            libc = None
        _LIBC.append(libc)
    return _LIBC[0]
