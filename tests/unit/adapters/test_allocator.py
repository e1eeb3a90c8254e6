"""Freed memory is reused while a log is decoded (glibc), and the setting unwinds after nested and threaded use."""

from __future__ import annotations

import resource
import threading

import numpy as np
import pytest

from runwise.adapters import allocator


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@pytest.mark.skipif(allocator._libc() is None, reason="no glibc mallopt here")
def test_a_freed_block_is_reused_without_faulting_its_pages_in_again() -> None:
    with allocator.reuse_freed_memory():
        first = np.ones(8 << 20, np.uint8)  # 8 MiB: above glibc's default mmap threshold
        del first
        before = _faults()
        second = np.ones(8 << 20, np.uint8)
        faults = _faults() - before
        del second
    assert faults < 64  # glibc on its own: ~500 of its 2048 pages faulted in again


def test_nested_and_threaded_use_unwinds() -> None:
    def read() -> None:
        with allocator.reuse_freed_memory(), allocator.reuse_freed_memory():
            np.ones(1 << 20).sum()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allocator._depth == 0
