"""How many threads a reader should decode on: two while the machine has a core to spare, else one.

The readers that decode on threads (W&B segments, neptune 1.x log blocks) overlap the numpy passes of one piece
with another's, but their framing, checksums and orjson calls hold the GIL. On a busy machine the second thread
finds no idle core and the two only take turns, at a cost. A core is spare while the 1-minute load average stays
below the cores this process may use less three quarters: back-to-back runs of one reader alone keep it near 1-1.2.
The W&B reader now decodes on one thread unless asked (`wandb_local/reader.py`, THREADS: with its CRCs checked by
block, one thread beat two even at idle); the W&B figures below are from before.

Measured with whole cold `runwise --no-cache run latest` processes, medians:
- neptune 1.x offline, 100k steps x 8 metrics (`python bench/bench_neptune.py --threads 1 2`): load 1.0, one
  thread 0.678 s, two 0.629 s; load 1.47-1.52, one 0.77 s, two 0.81 s; load 1.48-1.74, one 0.82 s, two 0.91 s;
  load ~2.3, one 0.76 s, two 0.87 s;
- W&B `.wandb` (`python bench/bench_wandb.py --threads 1 2`): 100k steps at load 2.4-2.7, one thread 1.42 s wall
  / 0.91 s CPU / 76 MiB, two 1.50 s / 0.93 s / 99 MiB; 1M steps at load 2.5-3.2, one 3.76 s / 3.47 s / 204 MiB,
  two 6.51 s / 3.91 s / 224 MiB. With a core idle (load 0.85) two threads parsed the 100k run in 0.43 s wall for
  0.58 s CPU.
"""

from __future__ import annotations

import os


def decoding_threads() -> int:
    """2 while a core is idle, else 1 (always 1 on a single core, or where the load average is unknown)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    if cores < 2:
        return 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        return 1
    return 2 if load < cores - 0.75 else 1
