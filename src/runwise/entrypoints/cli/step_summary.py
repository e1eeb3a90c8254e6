"""GitHub Actions' job summary: `health --strict` appends a few markdown lines to `$GITHUB_STEP_SUMMARY`.

Only that file, only when the variable is set (GitHub sets it in every step), and only by appending, as GitHub
asks. A path inside the run's own folder is refused: Runwise never writes where logs are. A file that cannot be
written is a warning on stderr; the check's answer and exit code stay the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from runwise.domain.model import RunInfo

VARIABLE = "GITHUB_STEP_SUMMARY"


def append_step_summary(markdown: str, result: Any) -> bool:
    """Append `markdown` to the job summary file; False (and a warning) when it is not written."""
    target = os.environ.get(VARIABLE)
    if not target:
        return False
    path = Path(target).expanduser().resolve()
    info = result[0] if isinstance(result, tuple) and result and isinstance(result[0], RunInfo) else None
    if info is not None and info.path and _inside(path, Path(info.path)):
        _warn(f"${VARIABLE} ({path}) is inside the run's folder; Runwise never writes where logs are")
        return False
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(markdown.rstrip("\n") + "\n\n")
    except OSError as exc:
        _warn(f"cannot append to ${VARIABLE} ({path}): {exc.strerror or exc}")
        return False
    # said on stderr, which also keeps the CLI's answer cache from replaying this call without the append
    sys.stderr.write(f"runwise: added the verdict to ${VARIABLE}\n")
    return True


def _inside(path: Path, run: Path) -> bool:
    try:
        folder = run.resolve()
    except OSError:
        return False
    folder = folder if folder.is_dir() else folder.parent
    return path == folder or folder in path.parents


def _warn(text: str) -> None:
    sys.stderr.write(f"runwise: warning: {text}\n")
