"""The `runwise` console script: run one command, then leave without tearing the interpreter down.

Why: once the answer is printed, Python's shutdown (a last cyclic collection over every object of the process,
module teardown, freeing the parsed arrays) is time the user waits for nothing. Measured on 100k-step runs,
`runwise --dir ROOT --no-cache run latest`, medians of 7 interleaved pairs of fresh processes with and without
it, load ~0.8: JSONL 0.638 -> 0.622 s, MLflow sqlite 0.676 -> 0.612 s, neptune 1.x offline 1.422 -> 1.272 s.
Nothing Runwise does waits for that shutdown: the caches are written and worker threads joined before `main`
returns. So the streams and logging handlers are flushed here and the process ends with `os._exit`. Tests call
`main` in-process and never come here.

Third-party pydantic plugins are not looked up unless the user's environment says otherwise
(`PYDANTIC_DISABLE_PLUGINS` set to any value, `""` included, is left alone). Looking them up scans the metadata
of every installed distribution the first time a parameter model is validated. Measured on a machine with 534
installed distributions, `runwise --no-cache --dir bench/data/jsonl100000 run latest` (8 interleaved pairs of
fresh processes, load ~2): median CPU 0.645 -> 0.595 s. Runwise's own models need no plugin.

OpenBLAS starts one thread per core when numpy is imported, and those threads spin for a while waiting for work
that never comes: Runwise's only BLAS call is a small least-squares fit (`domain/analysis/lr.py`). On 2 cores the
spinning thread competes with the readers that decode on two threads (MLflow, neptune) and costs each call ~0.1 s
of CPU. So the script
asks for one BLAS thread unless the user's environment says otherwise (`OPENBLAS_NUM_THREADS` set is left alone).
`python bench/bench_env.py --variable OPENBLAS_NUM_THREADS --repeat 10` (interleaved fresh processes, load ~0.8):
JSONL 100k CPU 0.562 -> 0.441 s.
Both variables are inherited by the commands Runwise starts (git, a `--notify exec:` command): short commands that
need neither.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

from runwise.entrypoints.cli.main import EXIT_USAGE, main


def run() -> NoReturn:
    """`main()`, its exit code, and a quick exit."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        code = main()
    except SystemExit as exc:  # --help, --version and usage errors: argparse has printed what it had to
        code = _exit_code(exc.code)
    leave(code)


def leave(code: int) -> NoReturn:
    """Flush what was written, then end the process at once with `code`."""
    if "logging" in sys.modules:  # not imported by --help and --version
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away (`runwise list | head -1`)
            stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")  # what sys.exit("message") would have printed
    return EXIT_USAGE
