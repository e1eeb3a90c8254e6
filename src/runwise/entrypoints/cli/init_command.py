"""`runwise init`: write a metric schema from a real run or a built-in template."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from runwise.domain.errors import InvalidInput
from runwise.entrypoints.cli.output import Context

DEFAULT_OUTPUT = Path("runwise.schema.toml")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Any]:  # type: ignore[type-arg]
    p = sub.add_parser("init", parents=[common], help="write a metric schema file from a run or a template")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--from-run", metavar="REF", help="infer roles, directions and groups from this run's keys")
    how.add_argument("--template", metavar="NAME", help="a built-in template (see --list-templates)")
    how.add_argument("--list-templates", action="store_true", help="list the built-in templates")
    p.add_argument(
        "-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="file to write (default %(default)s); - for stdout"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    return {"init": cmd_init}


def cmd_init(ctx: Context) -> int:
    from runwise.adapters.templates import read_template, template_names
    from runwise.services.init_schema import render_toml, schema_from_run

    a = ctx.args
    if a.list_templates:
        ctx.out.write("\n".join(template_names()) + "\n")
        return 0
    if a.template:
        text = read_template(a.template)
    else:
        name, schema = schema_from_run(ctx.app.catalog, a.from_run, _default_thresholds())
        text = render_toml(
            schema,
            f"Runwise metric schema inferred from run {name}.\nEdit roles the names got wrong; see the README for every field.",
        )
    if str(a.output) == "-":
        ctx.out.write(text)
        return 0
    _refuse_log_dirs(a.output, ctx)
    if a.output.exists() and not a.force:
        raise InvalidInput(f"{a.output} already exists", "pass --force to overwrite it, or -o to write elsewhere")
    a.output.write_text(text, encoding="utf-8")
    ctx.out.write(f"wrote {a.output} — use it with --schema {a.output} or schema_file in runwise.toml\n")
    return 0


def _default_thresholds() -> dict[str, float]:
    """Every detector threshold at its default, so the written file shows what can be tuned."""
    from runwise.domain.analysis import THRESHOLD_DEFAULTS

    return {name: default for name, (default, _why) in THRESHOLD_DEFAULTS.items()}


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
