"""The CLI command of one declared capability: flags from its parameters, output through the one fitting path.

A parameter is `--name` unless its `Cli` metadata says otherwise (positional REF, `-k` short flags,
comma-separated lists, one flag per choice such as `--max`/`--min`). Values are validated by the
capability's parameter model, so bounds and defaults are the MCP tool's; a bad value is one line
naming the flag.

Imported only for the command being run (cli/commands.py registers the others from the index): this module
brings pydantic and the declaration's own imports.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic.fields import FieldInfo

from runwise.domain.errors import InvalidInput
from runwise.domain.hints import Param
from runwise.entrypoints.capabilities.declaration import Capability, Params, base_type, cli_of, literal_values
from runwise.entrypoints.capabilities.execute import Answer, execute
from runwise.entrypoints.capabilities.wording import TOOL_WORDING, CliWording
from runwise.entrypoints.cli.output import Context, json_text

Handler = Callable[[Context], int]


def add_params(p: argparse.ArgumentParser, capability: Capability) -> None:
    """The capability's parameters as flags and positionals; only given values reach the namespace."""
    for name, field in capability.params.model_fields.items():
        cli = cli_of(field)
        if cli is not None and (cli.global_flag or cli.omit):
            continue  # --budget is a global flag (main() puts it in the settings); omitted ones say why in `differs`
        kind = base_type(field.annotation)
        is_list = typing.get_origin(kind) is list
        help_text = (cli.help if cli and cli.help else None) or _help(field)
        if cli is not None and cli.choices:
            group = p.add_mutually_exclusive_group()
            for value, flag in cli.choices.items():
                group.add_argument(
                    flag,
                    dest=name,
                    action="store_const",
                    const=value,
                    default=argparse.SUPPRESS,
                    help=f"{name}={value}",
                )
            continue
        if cli is not None and not cli.flags:  # positional
            nargs: Any = ("+" if field.is_required() else "*") if is_list else (None if field.is_required() else "?")
            choices = list(literal_values(field.annotation)) or None
            p.add_argument(
                name,
                metavar=cli.metavar or name.upper(),
                nargs=nargs,
                default=argparse.SUPPRESS,
                choices=choices,
                help=help_text,
            )
            continue
        flags = cli.flags if cli is not None and cli.flags else ("--" + name.replace("_", "-"),)
        options: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS, "help": help_text}
        if kind is bool:
            options["action"] = "store_true"
        elif cli is not None and cli.split:
            options["type"] = _comma_list
        elif cli is not None and cli.repeat:
            options["action"] = "append"
        elif literal_values(field.annotation):
            options["choices"] = list(literal_values(field.annotation))
        elif kind in (int, float):
            options["type"] = kind
        if cli is not None and cli.metavar:
            options["metavar"] = cli.metavar
        if field.is_required():
            options["required"] = True
        p.add_argument(*flags, **options)
    if capability.exit_policy is not None:
        p.add_argument(
            capability.exit_policy.flag, dest="exit_policy", action="store_true", help=capability.exit_policy.help
        )
    if capability.cli_side is not None:
        capability.cli_side.add_arguments(p)


def _help(field: FieldInfo) -> str | None:
    text = field.description
    if text is None:
        return None
    text = text.replace("%", "%%")
    if not field.is_required() and field.default not in (None, False):
        text += f" (default {field.default})"
    return text


def _comma_list(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def handler(capability: Capability, preset: Mapping[str, Any] | None = None) -> Handler:
    """Run the capability with the flags given (and an alias's preset values)."""

    def run(ctx: Context) -> int:
        fields = capability.params.model_fields
        given = {k: v for k, v in vars(ctx.args).items() if k in fields}
        given.update(preset or {})
        if capability.cli_side is not None:
            return capability.cli_side.handle(ctx, given)
        out = answer(ctx, capability, given)
        if not getattr(ctx.args, "quiet", False):
            for warning in out.warnings:
                sys.stderr.write(f"runwise: warning: {warning}\n")
        if ctx.format == "json":
            ctx.out.write(json_text(out.structured) + "\n")
        else:
            ctx.out.write(out.text.rstrip("\n") + "\n")
        policy = capability.exit_policy
        if policy is not None and ctx.args.exit_policy and policy.step_summary is not None:
            from runwise.entrypoints.cli.step_summary import append_step_summary

            append_step_summary(policy.step_summary(ctx.app, out.result), out.result)
        return policy.code if policy is not None and ctx.args.exit_policy and policy.fails(out.result) else 0

    return run


def answer(ctx: Context, capability: Capability, given: Mapping[str, Any]) -> Answer:
    """The capability's answer at the terminal; `--format json` is the MCP tool's structured result for the same call.

    Without --budget, the CLI shows the whole answer (a person scrolls; a script wants every row), except
    for capabilities that fit by design (summaries, comparisons). With `--budget N` every format fits to N
    like the tool's `token_budget=N`; JSON is cut to the markdown text an assistant would read, so the CLI's
    JSON and the tool's structured result agree.
    """
    values = dict(given)
    settings_budget = ctx.app.settings.budget
    if settings_budget is not None and "token_budget" in capability.params.model_fields:
        values["token_budget"] = settings_budget
    params = validated(capability, values)
    as_json = ctx.format == "json"
    fits = settings_budget is not None or capability.cli_fits
    return execute(
        capability,
        ctx.app,
        params,
        renderer=ctx.app.renderer("md" if as_json else ctx.format),
        wording=TOOL_WORDING if as_json else CliWording(capability),
        budget=capability.budget_of(params) if fits else None,
    )


def validated(capability: Capability, values: Mapping[str, Any]) -> Params:
    """The parameter model, or one line naming the flag that is wrong."""
    try:
        return capability.params(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        flag = CliWording(capability).param(Param(name)) if name else capability.command
        message = first["msg"][:1].lower() + first["msg"][1:]
        got = "" if first["type"] == "missing" else f" (got {first.get('input')!r})"
        raise InvalidInput(f"{flag}: {message}{got}") from None
