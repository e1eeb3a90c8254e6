"""Aim runs written by the real `aim` package (`aim.Run(...).track(...)`), the way training scripts write them.

Keys are tracked the Aim way, as a name plus a context: `train/loss` is `track(v, name="loss",
context={"subset": "train"})`, and the source must give `train/loss` back. Runs are written in a
child Python process (aim starts threads and registers exit hooks; the test process stays clean)
once per test session, into a session folder, and each seed copies the repository. A job may keep
its last run open: the child then stays alive (and Aim's soft lock names it) until the session
ends, so that run is really still active.

Run as `python -m tests.contract.seeders.aim JOB.json` it is that child.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runwise.adapters.sources.aim import AimRunSource
from runwise.ports.run_source import RunSource
from tests.contract.spec import RunSpec, Seeded, standard_specs

NAME = "aim"
_REPO = Path(__file__).resolve().parents[3]
_CACHE: dict[str, tuple[Path, dict[str, str]]] = {}
_SESSION_DIR: Path | None = None
_LIVE: list[subprocess.Popen[str]] = []


def split_key(key: str) -> tuple[str, dict[str, str]]:
    """`train/loss` → ("loss", {"subset": "train"}); a key without a slash has no context."""
    if "/" in key:
        subset, name = key.split("/", 1)
        return name, {"subset": subset}
    return key, {}


# the child process ----------------------------------------------------------------------------
def _write(job: dict[str, Any]) -> None:
    """Write every repository of the job; a run marked keep_open (the last one) stays open until stdin closes."""
    import aim

    # Initialising a repository runs Aim's database migrations (seconds); one initialised
    # repository is copied for every other folder, as copying an `aim init`-ed folder would.
    template = Path(job["repos"][0]["repo"]).parent / "template"
    aim.Repo.from_path(str(template), init=True)
    for repo in job["repos"]:
        if not Path(repo["repo"], ".aim").exists():
            shutil.copytree(template / ".aim", Path(repo["repo"], ".aim"))
    for repo in job["repos"]:
        hashes = {}
        for spec in repo["runs"]:
            run = aim.Run(
                repo=repo["repo"],
                experiment=spec.get("experiment", "contract"),
                system_tracking_interval=None,
                log_system_params=False,
                capture_terminal_logs=False,
            )
            run.name = spec["name"]
            if spec.get("config"):
                run["hparams"] = spec["config"]
            for tag in spec.get("tags", []):
                run.add_tag(tag)
            for name, context, step, value in spec.get("points", []):
                run.track(value, name=name, step=step, context=context)
            hashes[spec["name"]] = run.hash
            if spec.get("keep_open"):
                Path(repo["repo"], "hashes.json").write_text(json.dumps(hashes))
                print("READY", flush=True)
                sys.stdin.read()  # the parent closes stdin (or ends) when the session is over
                return
            run.close()
        Path(repo["repo"], "hashes.json").write_text(json.dumps(hashes))
    print("READY", flush=True)


# the seeder -----------------------------------------------------------------------------------
def _session_dir() -> Path:
    global _SESSION_DIR
    if _SESSION_DIR is None:
        _SESSION_DIR = Path(tempfile.mkdtemp(prefix="runwise-aim-"))
        atexit.register(_end_session)
    return _SESSION_DIR


def _end_session() -> None:
    for proc in _LIVE:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    if _SESSION_DIR is not None:
        shutil.rmtree(_SESSION_DIR, ignore_errors=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["AIM_TRACKING_ENABLED"] = "false"
    return env


def write_repos(repos: Sequence[tuple[Mapping[str, Any], Path]], *, timeout: float = 240.0) -> list[dict[str, str]]:
    """Write each (job, repository folder) with aim in one child; returns run name → Aim hash per repository.

    A job whose last run is marked keep_open must come last: its child stays alive, holding the run.
    """
    for _, repo in repos:
        repo.mkdir(parents=True, exist_ok=True)
    base = repos[0][1].parent
    shutil.rmtree(base / "template", ignore_errors=True)
    job_file = base / f"job-{len(list(base.glob('job-*.json')))}.json"
    job_file.write_text(json.dumps({"repos": [{**job, "repo": str(repo)} for job, repo in repos]}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.contract.seeders.aim", str(job_file)],
        cwd=str(base),
        env=_env(),
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # aim may print before READY
        lines.append(line)
        if "READY" in line:
            break
    if not any("READY" in line for line in lines):
        proc.wait(timeout=timeout)
        raise RuntimeError("aim writer failed:\n" + "".join(lines))
    if any(spec.get("keep_open") for job, _ in repos for spec in job["runs"]):
        _LIVE.append(proc)
    else:
        proc.communicate(timeout=timeout)
    out = []
    for _, repo in repos:
        out.append(json.loads((repo / "hashes.json").read_text()))
        (repo / "hashes.json").unlink()
    return out


def _key(job: Mapping[str, Any]) -> str:
    return json.dumps(job, sort_keys=True)


def cached_repo(job: Mapping[str, Any]) -> tuple[Path, dict[str, str]]:
    """Write a job once per session; returns the repository folder (holding `.aim`) and the hashes.

    The first call writes every job this test session is known to need (SESSION_JOBS) in a single
    child process: importing aim and opening a repository cost seconds, paid once.
    """
    if _key(job) not in _CACHE:
        pending = [j for j in (*SESSION_JOBS, job) if _key(j) not in _CACHE]
        pending = list({_key(j): j for j in pending}.values())
        pending.sort(key=lambda j: any(spec.get("keep_open") for spec in j["runs"]))  # the open run last
        folders = [_session_dir() / f"repo{len(_CACHE) + i}" for i in range(len(pending))]
        for j, folder, hashes in zip(pending, folders, write_repos(list(zip(pending, folders)))):
            _CACHE[_key(j)] = (folder, hashes)
    return _CACHE[_key(job)]


def points(spec: RunSpec) -> list[list[Any]]:
    """Every point of a spec as [name, context, step, value], in step order as a training loop logs them."""
    out = []
    for key, series in spec.series.items():
        name, context = split_key(key)
        out.extend([name, context, step, value] for step, value in zip(series.steps, series.values))
    out.sort(key=lambda p: p[2])
    return out


def copy_repo(repo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "aim-repo"
    shutil.copytree(repo, target, symlinks=True)
    return target


def job_of(specs: Sequence[RunSpec], **extra: Any) -> dict[str, Any]:
    return {"runs": [{"name": s.name, "config": dict(s.config), "points": points(s), **extra} for s in specs]}


EMPTY_JOB: dict[str, Any] = {"runs": [{"name": "empty"}]}
SESSION_JOBS: list[dict[str, Any]] = []  # filled below and by test modules that seed Aim repositories


def seed(specs: Sequence[RunSpec], tmp_path: Path) -> Seeded:
    repo, hashes = cached_repo(job_of(specs))
    target = copy_repo(repo, tmp_path)
    paths = {name: target / ".aim" / "meta" / "chunks" / run_hash for name, run_hash in hashes.items()}
    return Seeded(AimRunSource(tmp_path), dict(hashes), paths, tmp_path)


def seed_empty(tmp_path: Path) -> RunSource:
    """A run created and closed without tracking anything."""
    repo, _ = cached_repo(EMPTY_JOB)
    copy_repo(repo, tmp_path)
    return AimRunSource(tmp_path)


SESSION_JOBS.extend([job_of(standard_specs()), EMPTY_JOB])


if __name__ == "__main__":
    _write(json.loads(Path(sys.argv[1]).read_text()))
