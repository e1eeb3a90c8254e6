"""An operation log read in blocks of whole lines, and the blocks' work spread over the machine's cores in order.

Why blocks: reading a 64 MB log into one buffer faults in 64 MB of fresh pages (~0.1-0.3 s in a new process
on this machine); blocks of `BLOCK` bytes are freed and reused through the heap (adapters/allocator.py), so
only the first few fault. Why threads: the work done on a block (offline_points.py, the listing's scan) is
mostly numpy passes over large arrays, which release the GIL, so two cores decode two blocks at once; orjson
and the Python between the passes hold it (about a third of a block's time).

bench/bench_neptune.py `offline` data (151 MB, 20 blocks of 8 MiB), `decode_log` over every block in one fresh
process, load ~2 (a core mostly idle): one thread 0.47-0.70 s wall, two threads 0.34-0.40 s wall for 0.52-0.70 s
CPU. With both cores busy (load ~2.8, `read_offline` best of 3 in each of 3 fresh processes) two threads found
nothing to overlap on: 0.39-0.41 s wall and CPU against 0.34-0.37 s for one. Hence `adapters/cores.py`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.cores import decoding_threads
from runwise.adapters.sources.neptune.offline_points import PAD

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

BLOCK = 4 << 20  # bytes read at a time. Each block and its temporaries stay below glibc's mmap threshold as
# adapters/allocator.py raises it, so freed ones are reused instead of faulted in anew; and the many per-line
# gathers of a block then mostly hit the CPU caches. `read_offline` of the bench run, one thread, CPU min of 4
# in each of 3 fresh processes, load ~3.3: 2 MiB 0.32-0.35 s, 3 MiB 0.31-0.35 s, 4 MiB 0.31-0.36 s, 8 MiB
# 0.33-0.53 s; 512 KiB 0.41-0.51 s.
WORKERS: int | None = None  # threads decoding blocks; None: two while a core is idle, else one (`decoding_threads`)

Item = TypeVar("Item")
T = TypeVar("T")


class Leftover:
    """What followed a log's last newline when it was read to its end (a half-written operation, or nothing)."""

    def __init__(self) -> None:
        self.data = b""


def blocks(fh: BinaryIO, leftover: Leftover, block: int | None = None) -> Iterator[tuple[NDArray[np.uint8], int]]:
    """`(buffer, size)` for each run of whole lines of `fh` (each ending in a newline) about `block` bytes long:
    `buffer[:size]` are the lines, `PAD` zero bytes follow. A line longer than a block makes one longer block. The
    bytes after the last newline end in `leftover`. Each buffer is new: a consumer may keep it while the next is read.
    """
    size_wanted = block or BLOCK
    carry = b""
    while True:
        want = max(size_wanted, 2 * len(carry))
        buffer = np.empty(want + PAD, dtype=np.uint8)
        buffer[: len(carry)] = np.frombuffer(carry, dtype=np.uint8)
        size = len(carry) + _read_into(fh, buffer[len(carry) : want])
        if size == len(carry):  # the end of the file
            leftover.data = carry
            return
        whole = _complete_lines(buffer, size)
        carry = buffer[whole:size].tobytes()
        if whole:
            buffer[whole : whole + PAD] = 0
            yield buffer, whole


def _read_into(fh: BinaryIO, view: NDArray[np.uint8]) -> int:
    """Fill `view` from `fh` as far as the file goes; how many bytes were read."""
    got = 0
    while got < view.size:
        n = fh.readinto(view[got:].data)  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def _complete_lines(data: NDArray[np.uint8], size: int) -> int:
    """How many bytes of `data[:size]` are whole lines (up to and with the last newline)."""
    if not size or data[size - 1] == 0x0A:
        return size
    for start in (max(size - (1 << 16), 0), 0):  # the end first: a line is short
        newlines = np.flatnonzero(data[start:size] == 0x0A)
        if newlines.size:
            return start + int(newlines[-1]) + 1
    return 0


class InOrder:
    """Work on blocks done by `WORKERS` threads, results handed back in submission order.

    At most `WORKERS` blocks wait or run beside the one being read, so memory stays a few blocks whatever the log's
    size. With one worker (or one core) the work runs in the caller's thread. Used as a context manager: leaving it
    joins the threads (the CLI ends its process with `os._exit` and must leave none behind)."""

    def __init__(self, workers: int | None = None) -> None:
        self._workers = workers or WORKERS or decoding_threads()
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> InOrder:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map(self, work: Callable[[Item], T], items: Iterable[Item]) -> Iterator[T]:
        """`work(item)` for each item, in order; items are pulled only as workers become free."""
        if self._workers <= 1:
            for item in items:
                yield work(item)
            return
        pending: deque[Future[T]] = deque()
        for item in items:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor  # ~2 ms of imports, only when a core is idle

                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="runwise-blocks")
            pending.append(self._pool.submit(work, item))
            del item  # the worker holds the only reference: its buffer is freed when it is done
            while len(pending) > self._workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
