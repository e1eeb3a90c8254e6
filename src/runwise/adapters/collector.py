"""The cyclic garbage collector paused while one run is decoded.

Decoding makes millions of short-lived objects that hold no reference cycles (JSONL: a dict per line, a chunk
of them alive at once; Neptune: match tuples, bytes slices, protobuf entries), yet each allocation burst sets
off collection after collection, some of them over every object of the process. Measured in-process, CPU:
- Neptune bench runs (bench/bench_neptune.py data, `read_offline` / `read_scale`, best of 3, load ~1.2):
  offline 3.05 s with the collector on, 1.49 s off; scale 0.86 s on, 0.65 s off;
- JSONL 1M-step bench log (213 MB, `bench/generate_jsonl.py`, `read_series`, medians, load ~15): 2.81 s on,
  2.54 s off; 0.245 s against 0.232 s at 100k steps.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Collection off for the block, back on after (only if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
