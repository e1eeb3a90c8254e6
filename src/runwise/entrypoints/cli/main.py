"""Argument parsing, error handling and exit codes for every command.

Exit codes: 0 ok, 1 analysis found critical problems (only where a command says so), 2 usage or
input error. Errors are one line on stderr; the traceback only with -v.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from runwise import __version__

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise
    from runwise.domain.errors import RunwiseError
    from runwise.entrypoints.cli.answers import Recording
    from runwise.ports.progress import ReadProgress

Handler = Callable[..., int]
EXIT_OK, EXIT_CRITICAL, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2 (never a traceback)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("runwise").strip()  # `github comment` for a command of a group
        see = f"runwise {command} --help" if command else "runwise --help"
        self.exit(EXIT_USAGE, f"runwise: error: {message} (see: {see})\n")


def _global_flags(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Global flags, accepted before or after the command."""
    default = argparse.SUPPRESS if suppress else None
    g = parser.add_argument_group("global options")
    g.add_argument("--dir", default=default, help="where to look for runs (default: . or RUNWISE_DIR)")
    g.add_argument("--format", choices=["text", "md", "json"], default=default, help="output format (default: text)")
    g.add_argument("--budget", type=int, default=default, metavar="TOKENS", help="token budget for summaries")
    g.add_argument("--schema", dest="schema_file", type=Path, default=default, help="metric schema file (TOML/JSON)")
    g.add_argument("-v", "--verbose", action="store_true", default=default, help="log details; tracebacks on errors")
    g.add_argument("-q", "--quiet", action="store_true", default=default, help="only errors on stderr")
    g.add_argument("--no-color", dest="no_color", action="store_true", default=default, help="no ANSI colours")
    g.add_argument(
        "--no-cache", dest="no_cache", action="store_true", default=default, help="parse logs afresh; keep nothing"
    )


def build_parser(argv: Sequence[str] | None = None) -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The parser and a handler per command. Given the arguments, only the command they run gets its flags and
    handler; every other command is a name and a help line. A capability's flags come from its declaration,
    which imports pydantic, its result models and its use case (numpy and the detectors for most): all of
    them cost a cold call ~0.2 s (`python -X importtime`, bench/bench_speed.py) that `runwise --help`,
    `runwise --version`, `runwise cache` or `runwise mcp` never use, and `runwise run` uses one of."""
    common = _Parser(add_help=False)
    _global_flags(common, suppress=True)
    parser = _Parser(prog="runwise", description="Understand ML training runs in the fewest tokens.")
    parser.add_argument("--version", action="version", version=f"runwise {__version__}")
    _global_flags(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    handlers: dict[str, Handler] = {}
    word = command_word(argv) if argv is not None else None
    full = None if word is None else {word}
    for module in _command_modules():
        handlers.update(module.COMMAND.register(sub, common, full=full is None or module.COMMAND.name in full))
    from runwise.entrypoints.cli import commands

    handlers.update(commands.register(sub, common, full))
    return parser, handlers


_VALUED = ("--dir", "--format", "--budget", "--schema")  # global flags followed by a value


def command_word(argv: Sequence[str]) -> str | None:
    """The command the arguments run ("" for none: `--help`, `--version`, a usage error); None when the arguments
    cannot be read without the whole parser (`--dir` as the last word), so that every command is registered."""
    words = iter(argv)
    for word in words:
        if word in _VALUED:
            if next(words, None) is None:
                return None
        elif word == "--":
            return None
        elif not word.startswith("-"):
            return word
    return ""


def _command_modules() -> list:  # type: ignore[type-arg]
    """Commands about Runwise itself rather than runs; each module declares a `COMMAND` (cli/command.py)."""
    import importlib

    return [importlib.import_module(f"runwise.entrypoints.cli.{name}") for name in COMMAND_MODULES]


COMMAND_MODULES: list[str] = ["mcp_command", "cache_command"]  # the rest: the declaration table
# never answered from the answer cache, so not worth its key (a stat of every file of the package, twice)
COMMANDS_ABOUT_RUNWISE = ("mcp", "cache")


def main(argv: Sequence[str] | None = None, *, app: object | None = None, stdout: TextIO | None = None) -> int:
    """Run one command; returns the exit code (tests call this in-process)."""
    out = stdout or sys.stdout
    arguments = list(sys.argv[1:] if argv is None else argv)
    recording = None
    if app is None and command_word(arguments) not in COMMANDS_ABOUT_RUNWISE:
        # a real call: the same question of unchanged logs is answered from the answer cache
        from runwise.entrypoints.cli import answers

        replayed = answers.replay(arguments, out)
        if replayed is not None:
            return replayed
        recording = answers.Recording(arguments, out)
        out = recording.out
    code = EXIT_USAGE
    try:
        code = _main(arguments, app, out, recording)
    except SystemExit as exc:  # argparse prints --help, --version and usage errors, then exits
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if recording is not None and code == EXIT_OK:
            recording.printed_help()
        raise
    finally:
        if recording is not None:
            recording.finish(code)
    return code


def _main(arguments: list[str], app: object | None, out: TextIO, recording: Recording | None) -> int:
    parser, handlers = build_parser(arguments)
    args = parser.parse_args(arguments)
    if not args.command:
        parser.print_help(out)
        return EXIT_USAGE
    from runwise.domain.errors import RunwiseError  # attrs and the hints: not for --help or --version
    from runwise.entrypoints.logging import configure_logging

    configure_logging("DEBUG" if args.verbose else "ERROR" if args.quiet else "WARNING", structured=bool(args.verbose))
    try:
        return _dispatch(args, handlers, app, out, recording)
    except RunwiseError as exc:
        return _fail(_in_cli_words(exc, args.command), args, EXIT_USAGE)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line, never a traceback unless asked
        return _fail(f"unexpected {type(exc).__name__}: {exc} (rerun with -v for details)", args, EXIT_USAGE)


def _dispatch(
    args: argparse.Namespace,
    handlers: dict[str, Handler],
    app: object | None,
    out: TextIO,
    recording: Recording | None = None,
) -> int:
    from runwise.config import Settings
    from runwise.entrypoints.cli.output import Context

    wired: Runwise | Callable[[], Runwise]
    settings = None
    if app is None:
        flags = {
            "dir": args.dir,
            "format": args.format,
            "budget": args.budget,
            "schema_file": args.schema_file,
            "verbose": args.verbose or None,
            "quiet": args.quiet or None,
            "cache": False if args.no_cache else None,
        }
        if args.no_color or not _is_tty(out):
            flags["color"] = False
        loaded = settings = Settings.load(**flags)

        def wired() -> Runwise:  # on first use: `cache` and `mcp` never wire this one
            from runwise.bootstrap import bootstrap

            return bootstrap(loaded, progress=_progress(args))

    elif args.format is not None or args.budget is not None:
        import attrs

        from runwise.bootstrap import Runwise

        assert isinstance(app, Runwise)
        changes = {k: v for k, v in (("format", args.format), ("budget", args.budget)) if v is not None}
        wired = attrs.evolve(app, settings=app.settings.model_copy(update=changes))
    else:
        from runwise.bootstrap import Runwise

        assert isinstance(app, Runwise)
        wired = app
    if recording is not None and not _cacheable(args.command):
        out = recording.stop()  # the command's own stream: `plot` sizes itself to it, `watch` runs for hours
        recording = None
    ctx = Context(args, wired, out, settings=settings)
    if recording is not None:
        recording.begin(ctx.app)
    code = handlers[args.command](ctx)
    out.flush()
    return code


def _cacheable(command: str) -> bool:
    from runwise.entrypoints.cli.commands import answer_cacheable

    return answer_cacheable(command)


def _progress(args: argparse.Namespace) -> ReadProgress | None:
    """A bar on stderr for reads longer than ~0.5 s: only on a terminal, never with -q."""
    if args.quiet or not _is_tty(sys.stderr):
        return None
    from runwise.adapters.progress import TerminalReadProgress

    return TerminalReadProgress(sys.stderr)


def _in_cli_words(exc: RunwiseError, command: str) -> str:
    """The error with its pointers spelled as this command's flags and `runwise` commands."""
    from runwise.entrypoints.capabilities.wording import CliWording
    from runwise.entrypoints.cli.commands import declared

    return exc.words(CliWording(declared(command)))


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _fail(message: str, args: argparse.Namespace, code: int) -> int:
    if getattr(args, "verbose", False):
        traceback.print_exc(file=sys.stderr)
    sys.stderr.write(f"runwise: error: {message}\n")
    return code


def _silence_stdout() -> None:
    """After a closed pipe (`runwise list | head -1`), make the interpreter's final flush quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
