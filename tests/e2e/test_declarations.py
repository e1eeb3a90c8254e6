"""The declaration table is the single source: every capability's MCP tool, CLI command and API method agree.

For every declared capability: the tool, the command and the method exist with the same parameter
names, defaults and bounds, and `runwise --format json` gives the tool's structured result for the
same call. A capability declared CLI-only (posting to Slack or GitHub) says why, and has neither a tool
nor a method.
"""

from __future__ import annotations

import argparse
import inspect
import json
import typing
from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from mcp import Client
from pydantic import ValidationError

from runwise.entrypoints.api import Session
from runwise.entrypoints.capabilities import CAPABILITIES, TOOLS, Capability
from runwise.entrypoints.capabilities.declaration import cli_of, literal_values
from runwise.entrypoints.capabilities.wording import argv
from runwise.entrypoints.cli.main import build_parser
from runwise.entrypoints.mcp.server import build_server
from tests.e2e.calls import CALLS
from tests.e2e.clients import EXAMPLES, run_cli
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio
IDS = [c.name for c in CAPABILITIES]
TOOL_IDS = [c.name for c in TOOLS]
CLI_ONLY = [c for c in CAPABILITIES if c.tool is None]
BOUNDS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "exclusiveMinimum")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    app = app_for(EXAMPLES / "jsonl", cwd=tmp_path_factory.mktemp("cwd"))
    async with Client(build_server(app), raise_exceptions=True) as c:
        yield c


@pytest.fixture(scope="module")
async def tools(client: Client) -> dict[str, Any]:
    return {t.name: t for t in (await client.list_tools()).tools}


def _subparsers(parser: argparse.ArgumentParser | None = None) -> dict[str, argparse.ArgumentParser]:
    """Every command by its words: `run`, `github comment` (the commands of a group too)."""
    parser = parser or build_parser()[0]
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = {}
    for name, sub in action.choices.items():
        found[name] = sub
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            found.update({f"{name} {inner}": p for inner, p in _subparsers(sub).items()})
    return found


def _bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """Bounds of a property, wherever pydantic or the lean schema put them (nullable unions included)."""
    found = {k: v for k, v in schema.items() if k in BOUNDS}
    for variant in schema.get("anyOf", []):
        found.update(_bounds(variant))
    if isinstance(schema.get("items"), dict):
        found.update({f"items.{k}": v for k, v in _bounds(schema["items"]).items()})
    return found


def test_every_capability_has_a_sample_call() -> None:
    assert list(CALLS) == IDS


async def test_cli_only_capabilities_say_why_and_have_no_tool_nor_method(tools: dict[str, Any]) -> None:
    assert {c.name for c in CLI_ONLY} == {"notify", "github_comment"}  # posting to Slack, to a pull request
    commands = _subparsers()
    for capability in CLI_ONLY:
        assert capability.cli_only and capability.command in commands  # a reason, and the command
        assert not hasattr(Session, capability.name)
        with pytest.raises(ValueError, match="has no MCP tool"):
            _ = capability.tool_name
    assert list(tools) == [c.tool for c in TOOLS]  # and tools/list has exactly the others
    with pytest.raises(ValueError, match="either its MCP tool or"):
        attrs.evolve(CLI_ONLY[0], tool="notify_slack")  # not both
    with pytest.raises(ValueError, match="either its MCP tool or"):
        attrs.evolve(TOOLS[0], tool=None)  # not neither


@pytest.mark.parametrize("capability", TOOLS, ids=TOOL_IDS)
async def test_the_tool_takes_the_declared_parameters(capability: Capability, tools: dict[str, Any]) -> None:
    tool = tools[capability.tool_name]
    assert tool.title == capability.title and tool.description == capability.description
    declared = capability.params.model_json_schema()["properties"]
    schema = tool.input_schema["properties"]
    assert list(schema) == list(capability.params.model_fields)
    for name, field in capability.params.model_fields.items():
        if not field.is_required():
            assert schema[name].get("default") == field.default, name
        assert _bounds(schema[name]) == _bounds(declared[name]), name
    required = [n for n, f in capability.params.model_fields.items() if f.is_required()]
    assert tool.input_schema.get("required", []) == required


@pytest.mark.parametrize("capability", CAPABILITIES, ids=IDS)
def test_the_command_takes_the_declared_parameters(capability: Capability) -> None:
    parser = _subparsers()[capability.command]
    dests = {a.dest: a for a in parser._actions}
    for name, field in capability.params.model_fields.items():
        cli = cli_of(field)
        if cli is not None and cli.global_flag:
            assert name == "token_budget"  # the global --budget, read into the settings
            continue
        if cli is not None and cli.omit:
            assert capability.differs.get(name), (capability.name, name)  # not on the CLI: the declaration says why
            continue
        assert name in dests, (capability.command, name)
        values = literal_values(field.annotation)
        if values and (cli is None or not cli.choices):
            assert list(dests[name].choices or []) == list(values)
    # defaults: the command with only its required arguments asks for the declared defaults
    required = {n: CALLS[capability.name][n] for n, f in capability.params.model_fields.items() if f.is_required()}
    omitted = {n for n, f in capability.params.model_fields.items() if (c := cli_of(f)) is not None and c.omit}
    words = argv(capability, required)
    parsed = vars(parser.parse_args(words[len(capability.command.split()) :]))
    given = {k: v for k, v in parsed.items() if k in capability.params.model_fields}
    if capability.differs:
        assert set(capability.differs) <= set(capability.params.model_fields)  # said why, per parameter
        given.update({k: getattr(capability.params(**required), k) for k in capability.differs})
    assert omitted <= set(capability.differs)
    assert capability.params(**given) == capability.params(**required)


@pytest.mark.parametrize("capability", CAPABILITIES, ids=IDS)
def test_bounds_are_enforced_alike_on_the_cli(capability: Capability) -> None:
    for name, field in capability.params.model_fields.items():
        high = next((getattr(m, "le", None) for m in field.metadata if getattr(m, "le", None) is not None), None)
        if name in capability.differs:
            continue
        if high is None or (typing.get_origin(field.annotation) is not None and field.annotation is not int):
            continue
        args = {**CALLS[capability.name], name: high + 1}
        with pytest.raises(ValidationError):
            capability.params(**args)
        code, _ = run_cli(*argv(capability, args))
        assert code == 2, (capability.name, name)


@pytest.mark.parametrize("capability", TOOLS, ids=TOOL_IDS)
def test_the_api_method_takes_the_declared_parameters(capability: Capability) -> None:
    signature = inspect.signature(getattr(Session, capability.name))
    params = [p for p in signature.parameters.values() if p.name != "self"]
    assert [p.name for p in params] == list(capability.params.model_fields)
    for p in params:
        field = capability.params.model_fields[p.name]
        assert p.default == (inspect.Parameter.empty if field.is_required() else field.default)


@pytest.mark.parametrize("capability", TOOLS, ids=TOOL_IDS)
async def test_cli_json_is_the_tools_structured_result(capability: Capability, client: Client) -> None:
    args = dict(CALLS[capability.name])
    budget = getattr(capability.params(**args), "token_budget", None)
    if budget is not None:
        args["token_budget"] = budget  # the same call: the CLI fits only when told a budget
    result = await client.call_tool(capability.tool_name, args)
    assert not result.is_error, result.content
    if capability.json_differs is None:
        extra = ["-o", "-"] if capability.cli_side is not None else []
        code, text = run_cli("--format", "json", *argv(capability, args), *extra, root=EXAMPLES / "jsonl")
        assert code == 0, text
        assert json.loads(text) == result.structured_content
    # the API answers with the same facts; its notes name Python methods, so only the text's token count differs
    api = getattr(Session(dir=EXAMPLES / "jsonl"), capability.name)(**args).data()
    assert {**api, "tokens": None} == {**(result.structured_content or {}), "tokens": None}


def test_the_tool_table_in_the_docs_is_the_declarations() -> None:
    from pathlib import Path

    from runwise.entrypoints.capabilities.docs import tools_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "mcp.md").read_text()
    assert tools_table() in docs, "regenerate it: python -m runwise.entrypoints.capabilities.docs"


def test_the_index_agrees_with_the_declarations() -> None:
    """The CLI lists commands and finds a command's declaration from capabilities/index.py without importing the
    declarations: each entry names the capability it points at, with its command, help line and aliases."""
    from runwise.entrypoints.capabilities.index import ENTRIES

    assert [e.load() for e in ENTRIES] == list(CAPABILITIES)
    for entry in ENTRIES:
        capability = entry.load()
        assert (entry.name, entry.command, entry.help, entry.tool) == (
            capability.name,
            capability.command,
            capability.help,
            capability.tool,
        )
        assert {k: dict(v) for k, v in entry.aliases.items()} == {k: dict(v) for k, v in capability.cli_aliases.items()}


def test_a_command_parser_built_for_its_arguments_is_the_full_one() -> None:
    """`build_parser(argv)` gives only the command being run its flags; those flags are the full parser's."""
    full = _subparsers()
    for words in full:
        alone = _subparsers(build_parser(words.split())[0])
        assert alone[words].format_help() == full[words].format_help(), words
