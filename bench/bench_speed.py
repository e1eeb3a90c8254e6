"""Every figure of the speed work in one run, each beside its floor or peer: whole-process times and peak RSS.

For each format (JSONL, TensorBoard, W&B `.wandb`) and size (100k steps; 1M with --million), fresh processes of
`runwise --dir ROOT run latest` (every point analysed by every detector, summary rendered):
- cold: `--no-cache`, nothing kept from before (the log itself is in the page cache: decoding, not the disk);
- warm: the same command again: answered from the CLI's answer cache (the stored text, checked against the
  identity of every file and folder under ROOT); "parsed-run cache only" asks with another --budget each time,
  so the answer is computed again from the cached parsed run;
beside the floors of the same run: `python -c pass` and `python -c "import numpy"` for warm calls and start-up
(`runwise --help` with nothing cached, then again; `runwise cache info`), and for cold JSONL a process that
only decodes each line of the same file with orjson. `--peers` adds tbparse on the TensorBoard run (~50 µs a
point, so 100k steps only). `--mcp` adds `bench/bench_mcp.py` (spawn → initialize, warm summarize_run).
`--imports` adds, under each start-up row and the JSONL rows, the milliseconds the process spent importing
(`python -X importtime`: the top-level modules' cumulative times, `site` left out since every process pays it)
and how many modules it imported, medians of --repeat: the part of a call that is start-up, least disturbed
by the reading and analysis a call also does.

Children run with bytecode caching on (PYTHONPYCACHEPREFIX under bench/data/), as an installed package has its
.pyc files; the first call of each command is not timed. Figures are medians of --repeat (default 5) fresh
processes, with the best; the load average is printed before and after (the machine may be shared).
Usage: python bench/bench_speed.py [--million] [--repeat 5] [--formats jsonl tensorboard wandb] [--peers] [--mcp]
Data is generated once into bench/data/ (git-ignored) by the per-format benchmarks' writers.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE))

FLOOR_JSONL = (
    "import orjson, sys\n"
    "with open(sys.argv[1], 'rb') as fh:\n"
    "    for line in fh:\n"
    "        try: orjson.loads(line)\n"
    "        except orjson.JSONDecodeError: pass\n"
)
TBPARSE = "import sys; from tbparse import SummaryReader; SummaryReader(sys.argv[1]).scalars"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    env["RUNWISE_CACHE_DIR"] = str(DATA / "cache")
    return env


def measure(argv: list[str], extra_env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    env = {**child_env(), **(extra_env or {})}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def row(
    label: str, argv: list[str] | Callable[[int], list[str]], repeat: int, *, before: list[str] | None = None
) -> float:
    """Median wall time of `repeat` fresh processes (argv may vary per repeat), with CPU time beside it: on a
    shared machine CPU time is the figure other processes disturb least."""
    samples = []
    for i in range(repeat):
        if before:
            subprocess.run(before, check=True, env=child_env(), capture_output=True)
        samples.append(measure(argv(i) if callable(argv) else argv))
    walls = sorted(s[0] for s in samples)
    median = statistics.median(walls)
    cpu = statistics.median(s[1] for s in samples)
    print(
        f"  {label:<40} median {median:6.3f} s  best {walls[0]:6.3f} s  CPU {cpu:6.3f} s  "
        f"peak RSS {max(s[2] for s in samples):5.0f} MiB"
    )
    return median


IMPORT_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)")


def imports(label: str, argv: list[str] | Callable[[int], list[str]], repeat: int) -> None:
    """Median import milliseconds (top-level cumulative, `site` and `encodings` left out) and module count."""
    totals, counts = [], []
    for i in range(repeat):
        args = argv(i + 100) if callable(argv) else argv
        python = [args[0], "-X", "importtime", *args[1:]]  # args[0] is this interpreter (runwise_argv)
        done = subprocess.run(python, env=child_env(), capture_output=True, text=True, check=True)
        rows = [m for m in map(IMPORT_LINE.match, done.stderr.splitlines()) if m]
        top = [m for m in rows if len(m.group(2)) == 1 and m.group(3) not in ("site", "encodings")]
        totals.append(sum(int(m.group(1)) for m in top) / 1000)
        counts.append(len(rows))
    print(f"    {label:<38} imports {statistics.median(totals):6.1f} ms, {statistics.median(counts):.0f} modules")


def runwise_argv() -> list[str]:
    """The `runwise` script run by this interpreter (a shell shim on PATH would hide the Python process)."""
    found = shutil.which("runwise")
    if found:
        with open(found, "rb") as script:
            if script.read(2) == b"#!" and b"python" in script.readline():
                return [sys.executable, found]
    return [sys.executable, "-m", "runwise"]


def data(fmt: str, steps: int) -> tuple[Path, Path]:
    """(the folder to point --dir at, the log file) of the generated run."""
    if fmt == "jsonl":
        from bench_cli import ensure_run

        path = ensure_run(steps)
        return path.parent, path
    if fmt == "tensorboard":
        from bench_tensorboard import ensure_run as ensure_tb

        folder = ensure_tb(steps)
        return folder.parent, next(folder.glob("*tfevents*"))
    from bench_wandb import ensure

    root = ensure(steps, "auto")
    return root, next(root.glob("wandb/*run-*/*.wandb"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--million", action="store_true", help="also 1,000,000 steps")
    parser.add_argument("--steps", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["jsonl", "tensorboard", "wandb"])
    parser.add_argument("--peers", action="store_true", help="also tbparse on the 100k TensorBoard run (slow)")
    parser.add_argument("--mcp", action="store_true", help="also the MCP cold start and warm call")
    parser.add_argument("--imports", action="store_true", help="also the import time of start-up and JSONL calls")
    args = parser.parse_args()
    sizes = list(args.steps) + ([1_000_000] if args.million and 1_000_000 not in args.steps else [])
    runwise = runwise_argv()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    row("python -c pass (floor)", [sys.executable, "-c", "pass"], args.repeat)
    row("python -c 'import numpy' (floor)", [sys.executable, "-c", "import numpy"], args.repeat)
    clear = [*runwise, "cache", "clear"]
    print("start-up")
    row("runwise --help, nothing cached", [*runwise, "--help"], args.repeat, before=clear)
    if args.imports:
        imports("runwise --no-cache --help", [*runwise, "--no-cache", "--help"], args.repeat)
    row("runwise --help again (answer cache)", [*runwise, "--help"], args.repeat)
    row("runwise cache info (light command)", [*runwise, "cache", "info"], args.repeat)
    for steps in sizes:
        for fmt in args.formats:
            root, log = data(fmt, steps)
            with log.open("rb") as stream:  # into the page cache: decoding is measured, not the disk
                while stream.read(16 << 20):
                    pass
            print(f"{fmt} {steps:,} steps ({log.stat().st_size / 1e6:.0f} MB)")
            command = [*runwise, "--dir", str(root), "run", "latest"]
            subprocess.run([*command, "--no-cache"], env=child_env(), capture_output=True, check=True)
            row("cold (--no-cache)", [*command, "--no-cache"], args.repeat)
            if args.imports and fmt == "jsonl":
                imports("cold (--no-cache)", [*command, "--no-cache"], args.repeat)
            row("first call, filling the cache", command, args.repeat, before=clear)
            row("warm: the same command again", command, args.repeat)
            budgets = [*command, "--budget"]  # another question each time: the parsed run is reused, not the answer
            row("warm, parsed-run cache only", lambda i, b=budgets: [*b, str(401 + i)], args.repeat)
            if args.imports and fmt == "jsonl":
                imports("warm, parsed-run cache only", lambda i, b=budgets: [*b, str(401 + i)], args.repeat)
            if fmt == "jsonl":
                row("floor: orjson decode of each line", [sys.executable, "-c", FLOOR_JSONL, str(log)], args.repeat)
            if fmt == "tensorboard" and args.peers and steps <= 100_000:
                row("peer: tbparse", [sys.executable, "-c", TBPARSE, str(log.parent)], max(1, args.repeat // 2))
    if args.mcp:
        subprocess.run([sys.executable, str(HERE / "bench_mcp.py"), "--repeat", str(args.repeat)], env=child_env())
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
