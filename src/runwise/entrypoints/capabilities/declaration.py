"""What a capability declares once, so that the MCP tool, the CLI command and the Python API follow from it.

A `Capability` names the use case, one typed parameter model (`Params`: names, defaults, bounds and
descriptions), the structured result, the default token budget, the exit policy and the help text.
`Cli` metadata on a parameter says how the CLI spells it when a plain `--name` will not do (short
flags, positional REF, a comma-separated list, one flag per choice).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import attrs
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from runwise.domain.budget import Section
from runwise.domain.shared_repr import fields_repr
from runwise.ports.renderer import Renderer
from runwise.services.fitting import Fitted

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise


class Params(BaseModel):
    """A capability's parameters: unknown names are an error (never silently ignored), values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


@attrs.frozen
class Cli:
    """How the CLI spells one parameter, when `--name` is not enough.

    `flags` empty means positional (`metavar` names it); `split` reads a comma-separated list from one
    argument, `repeat` a flag given several times; `choices` spells each value as its own flag
    (`--max`/`--min` for direction); `global_flag` is one of the flags every command shares (`--budget`).
    """

    __repr__ = fields_repr

    flags: tuple[str, ...] = ()
    metavar: str | None = None
    split: bool = False
    repeat: bool = False
    choices: Mapping[str, str] = attrs.field(factory=dict)
    global_flag: bool = False
    help: str | None = None
    omit: bool = False  # not a CLI flag (the declaration's `differs` says why)


@attrs.frozen
class ExitPolicy:
    """A CLI-only switch that turns a result into a non-zero exit code (e.g. `health --strict`)."""

    __repr__ = fields_repr

    flag: str
    help: str
    fails: Callable[[Any], bool]
    code: int = 1
    # under GitHub Actions, markdown appended to $GITHUB_STEP_SUMMARY when the switch is on: (app, result) -> text
    step_summary: Callable[[Runwise, Any], str] | None = None


@attrs.frozen
class CliSide:
    """The CLI's own handling of a capability (a file to write, a terminal to draw on, a loop to follow).

    Named, not imported: the module under `runwise.entrypoints.cli` is imported only when the CLI builds
    its parser, so the MCP server and the Python API never load it. `arguments(parser)` adds the CLI-only
    flags; `run(ctx, given)` replaces the generic handler and returns the exit code.
    """

    __repr__ = fields_repr

    module: str
    arguments: str | None = None
    run: str = "run"

    def add_arguments(self, parser: Any) -> None:
        if self.arguments is not None:
            getattr(self._module(), self.arguments)(parser)

    def handle(self, ctx: Any, given: dict[str, Any]) -> int:
        return int(getattr(self._module(), self.run)(ctx, given))

    def _module(self) -> Any:
        import importlib

        return importlib.import_module(f"runwise.entrypoints.cli.{self.module}")


@attrs.frozen(kw_only=True)
class Capability:
    """One capability, declared once; see the package docstring for how to add one."""

    __repr__ = fields_repr

    name: str  # the CLI command and the Python API method
    tool: str | None = None  # the MCP tool; None only with `cli_only`
    cli_only: str | None = None  # why there is no MCP tool nor API method (a side effect a person starts)
    title: str
    help: str  # one line for `runwise --help`
    description: str  # the MCP tool's description: what it answers, in few words
    params: type[Params]
    output: type[BaseModel]
    use: Callable[[Runwise, Any], Any]  # the use case: (app, params) -> result
    sections: Callable[[Renderer, Any, Any], list[Section]]  # (renderer, result, params) -> what the text shows
    structured: Callable[[Any, Fitted], BaseModel]  # (result, fitted) -> the structured result, cut to the text
    budget: int | None = None  # a fixed budget, for capabilities without a token_budget parameter
    cli_fits: bool = False  # whether the CLI fits to the default budget without --budget (else: the whole answer)
    exit_policy: ExitPolicy | None = None
    reads: Callable[[Any], Sequence[str]] | None = None  # the REFs an answer depends on (its cache key); None: no cache
    refine: Callable[[Any, int, int], Any | None] | None = None  # lighter params when over budget (history samples)
    cli_name: str | None = None  # when the command is not `name` (summary is `runwise run`, `github comment`)
    cli_aliases: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)  # `latest` = `run` with run="latest"
    differs: Mapping[str, str] = attrs.field(factory=dict)  # parameter -> why the CLI default differs
    cli_side: CliSide | None = None  # the CLI's own flags and handler (init writes a file, watch follows runs)
    media: Callable[[Any], tuple[str, bytes]] | None = None  # (mime type, data) an MCP answer carries (a PNG)
    warnings: Callable[[Runwise, Any], Sequence[str]] | None = None  # said beside the answer (CLI: stderr)
    json_differs: str | None = None  # why `--format json` is not the tool's structured result, if it is not

    def __attrs_post_init__(self) -> None:
        if (self.tool is None) == (self.cli_only is None):
            raise ValueError(f"{self.name}: declare either its MCP tool or, with cli_only, why it has none")

    @property
    def command(self) -> str:
        """The CLI command; two words for a command of a group (`github comment`)."""
        return self.cli_name or self.name

    @property
    def tool_name(self) -> str:
        """The MCP tool's name (only capabilities in the tool table have one)."""
        if self.tool is None:
            raise ValueError(f"{self.name} has no MCP tool: {self.cli_only}")
        return self.tool

    def budget_of(self, params: Params) -> int | None:
        """The token budget a call asks for: its token_budget, else the declared fixed budget."""
        value = getattr(params, "token_budget", None)
        return int(value) if value is not None else self.budget

    def accepted(self) -> list[str]:
        return list(self.params.model_fields)


def cli_of(field: FieldInfo) -> Cli | None:
    """The parameter's CLI spelling (the innermost Annotated wins: `Annotated[RunRef, Cli(omit=True)]`)."""
    found = [m for m in field.metadata if isinstance(m, Cli)]
    return found[-1] if found else None


def base_type(annotation: Any) -> Any:
    """The annotation without None and Annotated: `list[str] | None` -> `list[str]`."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return base_type(rest[0]) if len(rest) == 1 else annotation
    return annotation


def literal_values(annotation: Any) -> tuple[Any, ...]:
    kind = base_type(annotation)
    return typing.get_args(kind) if typing.get_origin(kind) is Literal else ()


# Parameters several capabilities share, declared once -----------------------------------------------
REF_HELP = "'latest', id or name prefix from list_runs, log path, or SOURCE:REF; REF@STEP: as of that step."
RunRef = Annotated[str, Field(min_length=1, max_length=1024, description=REF_HELP), Cli(metavar="REF")]
RefItem = Annotated[str, Field(min_length=1, max_length=1024)]  # one REF in a list of runs
KeyName = Annotated[str, Field(min_length=1, max_length=512)]
KEYS_HELP = "Keys as list_keys shows them"
Metric = Annotated[
    str, Field(min_length=1, max_length=512, description="A metric key as logged."), Cli(metavar="METRIC")
]


def run_refs(description: str, *, max_length: int, min_length: int | None = 1, optional: bool = False) -> Any:
    """A parameter naming several runs (CLI: REF positionals), with its own bounds and description."""
    kind: Any = list[RefItem] | None if optional else list[RefItem]
    return Annotated[
        kind, Field(min_length=min_length, max_length=max_length, description=description), Cli(metavar="REF")
    ]


class OneOrMoreRuns(Params):
    """Parameters of a capability over `run` or, instead, several `runs` (plot, cost).

    The CLI has only the REF positionals (`runs`); the subclass declares `runs` with its own bounds.
    """

    run: Annotated[RunRef, Cli(omit=True)] = "latest"
    runs: list[str] | None = None

    def refs(self) -> list[str]:
        """The runs asked for, each once, in the order given."""
        return list(dict.fromkeys(self.runs)) if self.runs else [self.run]


def budget_param(low: int = 50) -> Any:
    """A `token_budget` parameter type (CLI: the global --budget); each capability gives its default."""
    return Annotated[
        int,
        Field(ge=low, le=20_000, description="Max tokens of the text."),
        Cli(flags=("--budget",), global_flag=True),
    ]


Budget = budget_param()
