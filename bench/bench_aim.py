"""Whole-process `runwise run` on a 100k-step x 8-metric Aim run, beside the same points as JSONL.

The run is written by the real `aim` package (3.29): `aim.Run(...).track(v, name=..., step=s,
context={"subset": ...})` for 4 names x 2 contexts at every step (about 8 minutes to write on this
machine; done once into bench/data/, git-ignored). Runwise reads the repository with `aimrocks`
read-only and never imports `aim`; the report also gives the `aimrocks` import time and its share
of the whole process.

Usage: python bench/bench_aim.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trackers import CONTEXTS, DATA, NAMES, STEPS, import_seconds, jsonl_peer, load_average, runwise_run, value

WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
import aim
from trackers import CONTEXTS, NAMES, STEPS, value
run = aim.Run(repo=sys.argv[1], experiment="bench", system_tracking_interval=None, log_system_params=False,
              capture_terminal_logs=False)
run["hparams"] = {"lr": 3e-4}
for step in range(STEPS):
    for context in CONTEXTS:
        for name in NAMES:
            run.track(value(name, context, step), name=name, step=step, context={"subset": context})
run.close()
print(run.hash)
"""


def ensure() -> tuple[Path, str]:
    folder = DATA / f"aim-{STEPS}"
    marker = folder / "run_hash"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"writing {STEPS} steps x 8 metrics with aim into {folder} (minutes) ...", file=sys.stderr)
        with tempfile.TemporaryDirectory(dir=DATA):
            out = subprocess.run(
                [sys.executable, "-c", WRITER, str(folder / "repo"), str(Path(__file__).parent)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        marker.write_text(out.strip().splitlines()[-1])
    return folder / "repo", marker.read_text().strip()


def rows() -> list[dict[str, float]]:
    return [{"step": s, **{f"{c}/{n}": value(n, c, s) for c in CONTEXTS for n in NAMES}} for s in range(STEPS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    repo, run_hash = ensure()
    peer = jsonl_peer(DATA / f"aim-{STEPS}-peer", rows)
    aim = runwise_run(repo, run_hash, args.repeat)
    floor = runwise_run(peer.parent, "peer", args.repeat)
    rocks = import_seconds("aimrocks")
    report = {
        "steps": STEPS,
        "metrics": 8,
        "repeat": args.repeat,
        "aim": aim,
        "jsonl_peer": floor,
        "aimrocks_import_s": rocks,
        "aimrocks_import_share_of_median_wall": rocks / aim["median_wall_s"],
        "aim_package_imported": False,
        "load_average": load_average(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
