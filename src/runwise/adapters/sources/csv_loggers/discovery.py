"""Finding CSV logs under a root and telling which logger wrote each, by content.

Every text file with a `.csv`, `.log` or `.txt` name is looked at (Keras examples name the file
`training.log`); its header and first rows decide (`kinds.classify`). The verdict is remembered per
file identity (path, size, mtime) so the three CSV sources and repeated listings read each head once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from runwise.adapters.fs import walk
from runwise.adapters.sources.csv_loggers.kinds import Kind, classify
from runwise.adapters.sources.csv_loggers.table import read_head

SUFFIXES = (".csv", ".log", ".txt")
_FOREIGN = {"wandb", "mlruns", ".aim", ".neptune"}
_MEMO: OrderedDict[tuple[str, int, int], Kind | None] = OrderedDict()
_MEMO_SIZE = 4096
_LOCK = threading.Lock()


def kind_of(path: Path) -> Kind | None:
    """Which logger wrote this file (None: not a metrics log)."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _LOCK:
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
    head = read_head(path)
    kind = classify(*head) if head is not None else None
    with _LOCK:
        _MEMO[key] = kind
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    return kind


def find(root: Path, kind: Kind) -> list[Path]:
    """Files under `root` (or `root` itself) that `kind`'s logger wrote."""
    if root.is_file():
        return [root] if kind_of(root) == kind else []
    found = []
    for folder, _dirs, files in walk(root, skip=lambda d: d in _FOREIGN):
        for name in files:
            if name.endswith(SUFFIXES) and kind_of(folder / name) == kind:
                found.append(folder / name)
    return found
