"""The CLI's answer cache: a command asked again of unchanged logs prints its stored answer at once.

A warm `runwise run latest` spent ~0.4 s importing numpy, pydantic, the declaration table and the detectors
before it could print a summary it had already computed (bench/bench_speed.py). `replay` runs first, with
the standard library only: it builds the request key (`request_key`), finds the entry (adapters/cache/answers)
and checks that nothing the answer came from has changed; then it prints the stored text and exit code.

An answer is stored (`Recording`) only when it can be replayed exactly:
- the command is a read-only capability answered through the one generic path (not init/plot/report/watch,
  which write files or draw for a terminal), the parsed-run cache is on and allowed to write where it is, and
  the call is not --verbose;
- it ended with exit code 0 or 1 and wrote nothing to stderr (warnings and logs are not replayed);
- every run it listed or loaded lies under the discovery roots and none was running (a running run's state
  and files move with the clock);
- nothing under the roots changed between the start and the end of the call, and nothing there was modified
  in the last RACY_S seconds (a rewrite within the mtime's resolution could go unseen).
The key holds the full argument list (as given: another spelling is another key, never a wrong answer), the
working folder, every environment variable Runwise or its readers consult, whether stdout/stderr are
terminals (and the terminal's size), the identity of every config-file candidate, and the version of the
code (every file of the package, the interpreter, and the site-packages folders, which change on installs).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from runwise.adapters.cache.answers import NOT_ENTERED, RACY_S, AnswerStore, identity, tree_identity, within_roots
from runwise.adapters.cache.stamp import package_files

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

ENV_PREFIXES = ("RUNWISE_", "MLFLOW_", "WANDB_", "NEPTUNE_", "AIM_", "HF_", "PYTHON", "LC_", "GITHUB_")
ENV_NAMES = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "LANG", "LANGUAGE", "TZ", "HOME", "XDG_CACHE_HOME")
HELP_FLAGS = ("-h", "--help", "--version")
PACKAGE = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)  # src/runwise (no realpath: ~lstat per part)


def code_version() -> list[Any]:
    """What decides how an answer is computed besides the logs: Runwise's files (all of them, data included),
    the interpreter, and the site-packages folders (an install or upgrade changes their mtime)."""
    parts = package_files()
    # installing or upgrading a package changes its site-packages folder's mtime (the working folder, also on
    # sys.path under `python -m`, changes all the time and holds no dependency: left out)
    paths = [[p, (identity(p) or [0, 0])[1]] for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return [str(PACKAGE), "\n".join(sorted(parts)), sys.version, sys.executable, paths]


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal(stream: TextIO) -> list[int] | None:
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return None
    return [size.columns, size.lines]


def request_key(argv: Sequence[str], out: TextIO, cwd: str | None = None) -> str:
    """Everything besides the logs that decides the answer, as one string."""
    from runwise.config_file import config_candidates

    cwd = cwd or os.getcwd()
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIXES) or k in ENV_NAMES)
    configs = [[str(p), identity(str(p))] for p in config_candidates(Path(cwd))]
    streams = [_is_tty(out), _is_tty(sys.stderr), _terminal(out) if _is_tty(out) else None]
    return json.dumps([list(argv), cwd, env, streams, configs, code_version()], ensure_ascii=True)


def cache_root(cwd: str | None = None) -> Path:
    """The cache folder Settings would name (bootstrap.cache_folder), found without loading Settings."""
    folder = os.environ.get("RUNWISE_CACHE_DIR")
    if not folder:
        from runwise.config_file import read_config_file

        folder = read_config_file(Path(cwd or os.getcwd()))[0].get("cache_dir")
    if folder:
        return Path(str(folder)).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("runwise", appauthor=False))


def replay(argv: Sequence[str], out: TextIO) -> int | None:
    """Print the stored answer to this exact request if nothing it came from changed; None otherwise."""
    if "--no-cache" in argv:
        return None
    try:
        key = request_key(argv, out)
        entry = AnswerStore(cache_root()).get(key)
        if entry is None or not _unchanged(entry):
            return None
    except Exception:  # anything odd (an unreadable config file, say): the ordinary path answers and explains
        return None
    out.write(entry["stdout"])
    out.flush()
    if entry.get("exits"):
        raise SystemExit(int(entry["code"]))  # as argparse did after printing help
    return int(entry["code"])


def _unchanged(entry: dict[str, Any]) -> bool:
    if any(identity(path) != ident for path, ident in entry["files"]):
        return False
    return bool(tree_identity(entry["roots"]) == entry["tree"])


def _watched(path: object, roots: Sequence[str]) -> bool:
    """Whether tree_identity sees every change of the run at `path`: under a root, not inside a tool folder."""
    if path is None or not within_roots(str(path), roots):
        return False
    return not any(part in NOT_ENTERED for part in Path(str(path)).parts)


class _Tee:
    """A text stream that writes through and remembers what went by."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self.parts: list[str] = []
        self.recording = True

    def write(self, text: str) -> int:
        if self.recording:
            self.parts.append(text)
        return self.inner.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Recording:
    """Watches one ordinary call and stores its answer when it can be replayed exactly (see the module doc)."""

    def __init__(self, argv: Sequence[str], out: TextIO) -> None:
        self.argv = list(argv)
        self.started = time.time()
        self.key: str | None = None
        with contextlib.suppress(Exception):  # a key that cannot be built only means nothing is kept
            self.key = request_key(argv, out)
        self.out = _Tee(out)
        self.err = _Tee(sys.stderr)
        self._saved_err, self._saved_out = sys.stderr, sys.stdout
        sys.stderr = self.err  # before logging is configured, so its lines count too
        self._help = out is sys.stdout and any(a in HELP_FLAGS for a in argv)
        if self._help:
            sys.stdout = self.out  # argparse prints help and the version to sys.stdout
        self.roots: list[str] = []
        self.tree: str | None = None
        self.app: Runwise | None = None

    def stop(self) -> TextIO:
        """This call will not be kept: stop remembering what goes by; the stream to write to instead."""
        self.out.recording = self.err.recording = False
        self.app = None
        return self.out.inner

    def begin(self, app: Runwise) -> None:
        """Called for a command the cache may keep, once the app is wired: may this call be kept? Snapshot the roots."""
        settings = app.settings
        if app.catalog.stored is None or settings.verbose or "://" in str(settings.dir):
            return
        if str(settings.dir).startswith(("sqlite:", "file:")):
            return
        self.roots = [str(r) for r in settings.roots] or [str(settings.dir)]
        self.tree = tree_identity(self.roots, newer_than=self.started - RACY_S)
        if self.tree is not None:
            self.app = app
            app.catalog.seen = []

    def printed_help(self) -> None:
        """argparse printed help or the version and exited 0: an answer that depends on the code alone."""
        if self._help and self.key is not None and not self.err.parts:
            from runwise.config_file import read_config_file

            with contextlib.suppress(Exception):
                folder = cache_root()
                read_config_file(Path.cwd())  # the same folder replay() looks in (a bad config file: keep nothing)
                entry = {
                    "stdout": "".join(self.out.parts),
                    "code": 0,
                    "roots": [],
                    "tree": tree_identity([]),
                    "exits": 1,
                }
                AnswerStore(folder).put(self.key, {**entry, "files": []})

    def finish(self, code: int) -> None:
        """Store the answer if every condition held; restores stderr (and stdout) in any case."""
        sys.stderr, sys.stdout = self._saved_err, self._saved_out
        self.out.recording = self.err.recording = False
        app = self.app
        if app is None or self.key is None or code not in (0, 1) or self.err.parts:
            return
        seen = app.catalog.seen or []
        app.catalog.seen = None
        if not all(_watched(info.path, self.roots) and info.state != "running" for info in seen):
            return
        if tree_identity(self.roots, newer_than=self.started - RACY_S) != self.tree:
            return
        schema = app.settings.schema_file
        files = [[str(schema), identity(str(schema))]] if schema is not None else []
        from runwise.bootstrap import cache_folder

        entry = {"stdout": "".join(self.out.parts), "code": code, "roots": self.roots, "tree": self.tree}
        AnswerStore(cache_folder(app.settings)).put(self.key, {**entry, "files": files})
