"""How each interface spells the core's pointers (domain.hints): CLI flags and commands, or tool arguments.

Both wordings read the declarations, so a flag renamed there is renamed in every hint; a hint naming a
capability imports only the module declaring it (capabilities/index.py).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from runwise.domain.hints import Call, Param, Setting
from runwise.entrypoints.capabilities import index
from runwise.entrypoints.capabilities.declaration import Capability, Cli, base_type, cli_of


class ToolWording:
    """MCP tools and their arguments: `from_step=90`, `list_keys(run="x")`. Never a CLI flag."""

    def param(self, ref: Param) -> str:
        return f"{ref.name}={ref.value!r}" if ref.has_value else ref.name

    def call(self, ref: Call) -> str:
        cap = index.capability(ref.capability)
        name = cap.tool if cap and cap.tool else ref.capability
        if not ref.args:
            return name
        return f"{name}(" + ", ".join(f"{k}={json.dumps(v)}" for k, v in ref.args) + ")"

    def setting(self, ref: Setting) -> str:
        if ref.name == "logs":
            return "the server reads only under its roots: ask the user to add a root that holds the training logs"
        if ref.name == "tracking_server":
            return "ask the user to serve Runwise with MLFLOW_TRACKING_URI set to the server"
        return ref.name


class CliWording:
    """`runwise` flags and commands, looked up in the declaration of the command being run first."""

    def __init__(self, capability: Capability | None = None) -> None:
        self.capability = capability

    def param(self, ref: Param) -> str:
        found = self._field(ref.name)
        if found is None:
            flag = "--" + ref.name.replace("_", "-")
            return f"{flag} {ref.value}" if ref.has_value else flag
        cli, annotation = found
        if cli is not None and cli.choices:
            if ref.has_value and ref.value in cli.choices:
                return cli.choices[str(ref.value)]
            return " or ".join(cli.choices.values())
        if cli is not None and not cli.flags:  # positional
            return str(ref.value) if ref.has_value else (cli.metavar or ref.name.upper())
        flag = max(cli.flags, key=len) if cli is not None else "--" + ref.name.replace("_", "-")
        if base_type(annotation) is bool or not ref.has_value:
            return flag
        return f"{flag} {_cli_value(ref.value)}"

    def call(self, ref: Call) -> str:
        cap = index.capability(ref.capability)
        if cap is None:
            return f"runwise {ref.capability}"
        return " ".join(["runwise", *argv(cap, dict(ref.args), placeholders=True)])

    def setting(self, ref: Setting) -> str:
        if ref.name == "logs":
            return "point --dir (or RUNWISE_DIR) at a folder with training logs"
        if ref.name == "tracking_server":
            return "pass the server as --dir URL (or set MLFLOW_TRACKING_URI)"
        return ref.name

    def _field(self, name: str) -> tuple[Cli | None, Any] | None:
        own = [self.capability] if self.capability else []
        for cap in itertools.chain(
            own, (entry.load() for entry in index.ENTRIES)
        ):  # the others' modules: only if needed
            field = cap.params.model_fields.get(name)
            if field is not None:
                return cli_of(field), field.annotation
        return None


def argv(capability: Capability, args: dict[str, Any], *, placeholders: bool = False) -> list[str]:
    """The command line of a call: `["run", "baseline"]`, `["history", "x", "-k", "a,b", "--from", "5"]`.

    `placeholders` writes a missing positional REF as its metavar (for hints: `runwise keys REF`).
    """
    words = capability.command.split()
    tail: list[str] = []
    for name, field in capability.params.model_fields.items():
        cli = cli_of(field)
        given = name in args
        if cli is not None and cli.global_flag:
            if given:
                words[:0] = [max(cli.flags, key=len), str(args[name])]
            continue
        if cli is not None and not cli.flags and not cli.choices:  # positional
            if given:
                value = args[name]
                words += [str(v) for v in value] if isinstance(value, list) else [str(value)]
            elif placeholders and (field.is_required() or name == "run"):
                words.append(cli.metavar or name.upper())
            continue
        if not given:
            continue
        value = args[name]
        if cli is not None and cli.repeat and isinstance(value, list):
            for item in value:
                tail += [max(cli.flags, key=len), str(item)]
            continue
        spelled = CliWording(capability).param(Param(name, value))
        if base_type(field.annotation) is bool and not value:
            continue
        flag, _, text = spelled.partition(" ")
        tail += [f"{flag}={text}"] if text.startswith("-") else [flag, text] if text else [flag]
    return words + tail


def _cli_value(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


TOOL_WORDING = ToolWording()
