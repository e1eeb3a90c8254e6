"""`runwise init`: the schema draft of the `init` capability, written to a file, or a built-in template."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from runwise.domain.errors import InvalidInput
from runwise.entrypoints.cli.output import Context

DEFAULT_OUTPUT = Path("runwise.schema.toml")


def setup(p: argparse.ArgumentParser) -> None:
    """The CLI-only flags of `init` (the draft's own parameter, --from-run, comes from the declaration)."""
    p.add_argument("--template", metavar="NAME", help="a built-in template (see --list-templates)")
    p.add_argument("--list-templates", action="store_true", help="list the built-in templates")
    p.add_argument(
        "-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="file to write (default %(default)s); - for stdout"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def run(ctx: Context, given: dict[str, Any]) -> int:
    from runwise.adapters.templates import read_template, template_names
    from runwise.entrypoints.capabilities.analysis import INIT
    from runwise.entrypoints.cli.capability_command import answer

    a = ctx.args
    chosen = [
        flag
        for flag, on in (
            ("--from-run", "run" in given),
            ("--template", a.template),
            ("--list-templates", a.list_templates),
        )
        if on
    ]
    if len(chosen) != 1:
        raise InvalidInput(
            "init needs exactly one of --from-run REF, --template NAME or --list-templates"
            + (f" (got {', '.join(chosen)})" if chosen else "")
        )
    if a.list_templates:
        ctx.out.write("\n".join(template_names()) + "\n")
        return 0
    if a.template:
        text = read_template(a.template)
    else:
        draft = answer(ctx, INIT, given)
        if ctx.format == "json" and str(a.output) == "-":  # the generate_schema tool's structured result
            ctx.out.write(draft.structured.model_dump_json(indent=2) + "\n")
            return 0
        text = draft.result.toml
    if str(a.output) == "-":
        ctx.out.write(text)
        return 0
    _refuse_log_dirs(a.output, ctx)
    if a.output.exists() and not a.force:
        raise InvalidInput(f"{a.output} already exists", "pass --force to overwrite it, or -o to write elsewhere")
    a.output.write_text(text, encoding="utf-8")
    ctx.out.write(f"wrote {a.output} — use it with --schema {a.output} or schema_file in runwise.toml\n")
    return 0


def _refuse_log_dirs(output: Path, ctx: Context) -> None:
    """Runwise never writes where the logs are, whatever the source.

    Refused: a log file itself, anything inside a run's folder (TensorBoard, W&B, ...), and the
    folder that holds a log file directly (a JSONL run's folder, or a log root full of them).
    """
    target = output.resolve()
    folder = target.parent
    for _, info in ctx.app.catalog.list_runs():
        if not info.path:
            continue
        run_path = Path(info.path).resolve()
        if run_path.is_dir():
            if folder == run_path or run_path in folder.parents:
                raise InvalidInput(
                    f"{output} is inside the run folder {info.path}", "write the schema elsewhere with -o"
                )
        elif target == run_path:
            raise InvalidInput(f"{output} is the log of run {info.name}", "write the schema elsewhere with -o")
        elif folder == run_path.parent:
            raise InvalidInput(
                f"{output} would be written beside the log {info.path}", "write the schema elsewhere with -o"
            )
