"""The declaration table is the single source: every capability's MCP tool, CLI command and API method agree.

For every declared capability: the tool, the command and the method exist with the same parameter
names, defaults and bounds, and `runwise --format json` gives the tool's structured result for the
same call.
"""

from __future__ import annotations

import argparse
import inspect
import json
import typing
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client
from pydantic import ValidationError

from runwise.entrypoints.api import Session
from runwise.entrypoints.capabilities import CAPABILITIES, Capability
from runwise.entrypoints.capabilities.declaration import cli_of, literal_values
from runwise.entrypoints.capabilities.wording import argv
from runwise.entrypoints.cli.main import build_parser
from runwise.entrypoints.mcp.server import build_server
from tests.e2e.calls import CALLS
from tests.e2e.clients import EXAMPLES, run_cli
from tests.e2e.logs import app_for

pytestmark = pytest.mark.anyio
IDS = [c.name for c in CAPABILITIES]
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


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser, _ = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


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


@pytest.mark.parametrize("capability", CAPABILITIES, ids=IDS)
async def test_the_tool_takes_the_declared_parameters(capability: Capability, tools: dict[str, Any]) -> None:
    tool = tools[capability.tool]
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
    parsed = vars(parser.parse_args(words[1:]))
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


@pytest.mark.parametrize("capability", CAPABILITIES, ids=IDS)
def test_the_api_method_takes_the_declared_parameters(capability: Capability) -> None:
    signature = inspect.signature(getattr(Session, capability.name))
    params = [p for p in signature.parameters.values() if p.name != "self"]
    assert [p.name for p in params] == list(capability.params.model_fields)
    for p in params:
        field = capability.params.model_fields[p.name]
        assert p.default == (inspect.Parameter.empty if field.is_required() else field.default)


@pytest.mark.parametrize("capability", CAPABILITIES, ids=IDS)
async def test_cli_json_is_the_tools_structured_result(capability: Capability, client: Client) -> None:
    args = dict(CALLS[capability.name])
    budget = getattr(capability.params(**args), "token_budget", None)
    if budget is not None:
        args["token_budget"] = budget  # the same call: the CLI fits only when told a budget
    result = await client.call_tool(capability.tool, args)
    assert not result.is_error, result.content
    if capability.json_differs is None:
        extra = ["-o", "-"] if capability.cli_run is not None else []
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
