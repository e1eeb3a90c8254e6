"""Cold start of `runwise mcp` (spawn to initialize response) and summarize_run latency on a 100k-step run.

Cold start: a fresh `runwise mcp --root DIR` process per sample, timed from spawn until its
initialize response arrives on stdout, beside the floors of `python -c pass`, of a process that only
imports the official SDK's server package (`mcp.server.mcpserver`), and of the smallest server on the same
SDK (an MCPServer with no tools, `FLOOR_SERVER`) timed the same way: what any server on this SDK waits for.
Warm call: one `runwise mcp` over stdio with the SDK client; the first summarize_run parses the
log, the repeats are served from the caches. "run cache only" repeats vary token_budget, so the
answer is recomputed from the cached parsed run (no remembered answer).
Usage: python bench/bench_mcp.py [--steps 100000] [--repeat 5] [--calls 20]
Data is generated once into bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}


FLOOR_SERVER = "from mcp.server.mcpserver import MCPServer\nMCPServer('floor').run('stdio')\n"


def ensure_run(steps: int) -> Path:
    folder = DATA / f"jsonl{steps}"
    path = folder / f"run{steps}.jsonl"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        sys.path.insert(0, str(HERE))
        from generate_jsonl import generate

        generate(steps, path)
    return path


def server_argv(root: Path) -> list[str]:
    runwise = shutil.which("runwise")
    base = [runwise] if runwise else [sys.executable, "-m", "runwise"]
    return [*base, "mcp", "--root", str(root)]


def cold_start(argv: list[str]) -> float:
    """Seconds from spawn to the initialize response line."""
    return cold_start_cpu(argv)[0]


def cold_start_cpu(argv: list[str]) -> tuple[float, float]:
    """Seconds from spawn to the initialize response line, and the CPU seconds (user + system) of the whole
    process (spawn, initialize, exit on end of input): on a shared machine the figure least disturbed."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    _, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    proc.stdout.close()
    if json.loads(line).get("id") != 1:
        raise SystemExit(f"unexpected first message: {line[:200]!r}")
    return elapsed, usage.ru_utime + usage.ru_stime


def cold_starts(servers: dict[str, list[str]], repeat: int) -> None:
    """Each server's cold start, taken in turns (a load change on a shared machine hits all of them alike)."""
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in servers}
    for _ in range(repeat):
        for label, argv in servers.items():
            samples[label].append(cold_start_cpu(argv))
    for label, taken in samples.items():
        cpu = statistics.median(s[1] for s in taken) * 1000
        print(f"{label:<41} {ms([s[0] for s in taken])}; CPU median {cpu:6.1f} ms")


def floor(code: str = "pass") -> float:
    return floor_cpu(code)[0]


def floor_cpu(code: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of `python -c CODE`."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code])
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"python -c {code!r} failed")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


# what a server on the official SDK imports before it can answer initialize, step by step (each row includes
# the ones above it that it imports): `import mcp` runs the package's __init__, which imports the client, the
# server and every protocol version's pydantic types, whatever submodule is asked for
IMPORTS = (
    "import pydantic",
    "import mcp_types",
    "import mcp",
    "import mcp.server.lowlevel",
    "import mcp.server.mcpserver",
    "import runwise.entrypoints.mcp.server",
    "import runwise.entrypoints.mcp.serve, runwise.entrypoints.mcp.server",
)


async def warm_calls(argv: list[str], calls: int) -> tuple[float, list[float], list[float]]:
    from mcp import Client, StdioServerParameters

    cache = {k: os.environ[k] for k in ("RUNWISE_CACHE_DIR",) if k in os.environ}  # the SDK passes a minimal env
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=cache or None)
    async with Client(params) as client:

        async def timed(budget: int) -> float:
            start = time.perf_counter()
            result = await client.call_tool("summarize_run", {"run": "latest", "token_budget": budget})
            if result.is_error:
                raise SystemExit(f"summarize_run failed: {result.content}")
            return time.perf_counter() - start

        first = await timed(400)
        remembered = [await timed(400) for _ in range(calls)]
        recomputed = [await timed(401 + i) for i in range(calls)]
    return first, remembered, recomputed


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"best {ordered[0] * 1000:6.1f}  median {statistics.median(ordered) * 1000:6.1f}  p90 {p90 * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="cold starts to time")
    parser.add_argument("--calls", type=int, default=20, help="warm calls to time")
    args = parser.parse_args()
    path = ensure_run(args.steps)
    argv = server_argv(path.parent)
    print(f"server: {' '.join(argv)}")
    module = [sys.executable, "-m", "runwise.entrypoints.mcp", "--root", str(path.parent)]
    cold_start(argv)  # the first spawn after an install writes .pyc files; not what a user waits for twice
    print(f"cold start (spawn → initialize response), load average {os.getloadavg()[0]:.2f}:")
    servers = {
        "  runwise mcp": argv,
        "  python -m runwise.entrypoints.mcp": module,
        "  SDK floor (an MCPServer with no tools)": [sys.executable, "-c", FLOOR_SERVER],
    }
    cold_starts(servers, args.repeat)
    print(f"python -c pass (floor):                   {ms([floor() for _ in range(args.repeat)])}")
    sdk = "import mcp.server.mcpserver"  # the official SDK's server package: every server on it pays this
    print(f"python -c '{sdk}' (SDK floor): {ms([floor(sdk) for _ in range(args.repeat)])}")
    print("imports before initialize can be answered (median wall / median CPU of fresh processes):")
    for code in IMPORTS:
        samples = [floor_cpu(code) for _ in range(args.repeat)]
        wall = statistics.median(s[0] for s in samples) * 1000
        cpu = statistics.median(s[1] for s in samples) * 1000
        print(f"  python -c '{code}': {wall:6.1f} ms wall, {cpu:6.1f} ms CPU")
    first, remembered, recomputed = anyio.run(warm_calls, argv, args.calls)
    print(f"summarize_run, {args.steps:,} steps, first call (parse + analyse): {first * 1000:.0f} ms")
    print(f"summarize_run warm (same arguments):      {ms(remembered)}")
    print(f"summarize_run warm (run cache only):      {ms(recomputed)}")


if __name__ == "__main__":
    main()
