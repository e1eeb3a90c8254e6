"""CPU a `runwise watch` costs while nothing changes, and how fast an appended line becomes an event.

Starts `runwise --format json watch REF` on a JSONL log (file-system events when watchdog is installed, else
`--poll`), waits for the first events, then samples the process's CPU time (user + system, from /proc) over an
idle window, and finally appends one NaN line and times its event. Linux only (reads /proc/PID/stat).

    python bench/bench_watch.py [--idle 10] [--poll SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle sampling")
    parser.add_argument("--poll", type=float, default=None, help="poll instead of file-system events")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "train.jsonl"
        log.write_text("".join(json.dumps({"step": s, "train/loss": 1 / (s + 1)}) + "\n" for s in range(10_000)))
        extra = ["--poll", str(args.poll)] if args.poll else []
        cmd = [sys.executable, "-m", "runwise", "--no-cache", "--format", "json", "watch", "train", *extra]
        proc = subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            time.sleep(3.0)  # start-up and the first read
            before = cpu_seconds(proc.pid)
            time.sleep(args.idle)
            idle = cpu_seconds(proc.pid) - before
            with log.open("a") as out:
                out.write(json.dumps({"step": 10_000, "train/loss": float("nan")}) + "\n")
            written = time.monotonic()
            assert proc.stdout is not None
            for line in proc.stdout:
                if json.loads(line)["kind"] == "nan_inf":
                    break
            latency = time.monotonic() - written
        finally:
            proc.kill()
            proc.wait()
    mode = f"poll {args.poll}s" if args.poll else "file events"
    print(
        f"watch ({mode}): idle CPU {idle:.3f} s over {args.idle:.0f} s = {idle / args.idle:.2%}; "
        f"append → event {latency * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
