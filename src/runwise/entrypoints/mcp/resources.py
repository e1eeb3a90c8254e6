"""Resources (the run list, one run's summary) and the `diagnose_run` prompt.

Resources read under the configured roots (or the discovery folder); client roots reach tools only,
because the SDK asks the client for them as part of a tool call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from pydantic import Field

from runwise.bootstrap import Runwise
from runwise.domain.errors import RunNotFound, RunwiseError
from runwise.entrypoints.capabilities import inspect as declared
from runwise.entrypoints.mcp.state import ServerState
from runwise.entrypoints.mcp.toolkit import call, error_text

log = logging.getLogger(__name__)
RUNS_URI = "runwise://runs"
SUMMARY_URI = "runwise://runs/{ref}/summary"
RUNS_SHOWN = 50
RUNS_BUDGET = 800


def register_resources(server: MCPServer[ServerState], state: ServerState) -> None:
    """Add the resources, bound to this server's state (static resources get no Context)."""

    async def read(uri: str, work: Callable[[Runwise], str]) -> str:
        try:
            return await anyio.to_thread.run_sync(work, state.app)
        except RunNotFound as exc:
            raise ResourceNotFoundError(error_text(exc)) from exc
        except RunwiseError as exc:
            raise ResourceError(error_text(exc)) from exc
        except Exception as exc:
            log.exception("reading %s failed", uri)
            raise ResourceError(
                f"reading {uri} failed unexpectedly ({type(exc).__name__}); see the server log"
            ) from exc

    @server.resource(
        RUNS_URI,
        name="runs",
        title="Runs",
        description="The runs under the allowed roots, newest first (the list_runs table).",
        mime_type="text/markdown",
    )
    async def runs() -> str:
        def work(app: Runwise) -> str:
            return call(declared.LIST, app, declared.ListParams(limit=RUNS_SHOWN, token_budget=RUNS_BUDGET)).text

        return await read(RUNS_URI, work)

    @server.resource(
        SUMMARY_URI,
        name="run_summary",
        title="Run summary",
        description="One run's summary within 400 tokens; {ref} is a run id (URL-encode '/') or 'latest'.",
        mime_type="text/markdown",
    )
    async def run_summary(ref: str) -> str:
        def work(app: Runwise) -> str:
            return call(declared.SUMMARY, app, declared.SummaryParams(run=ref)).text

        return await read(SUMMARY_URI.replace("{ref}", ref), work)


def diagnose_run(
    run: Annotated[str, Field(description="The run to diagnose: 'latest', a run id or a name prefix.")] = "latest",
) -> str:
    """Diagnose one training run step by step, reading only what is needed."""
    return (
        f"Diagnose the training run `{run}` with the Runwise tools, spending as few tokens as possible.\n"
        f"1. Call summarize_run(run={run!r}) and read the headline, the key metrics and any anomalies.\n"
        f"2. If the summary leaves anomalies out, call detect_anomalies(run={run!r}) for every episode with its "
        "steps.\n"
        f"3. If you need other metrics than the summary shows, call list_keys(run={run!r}) to see what was logged.\n"
        "4. For exact numbers (min, max, the step of the best value, NaN counts) call get_stats with those keys.\n"
        "5. Only if the shape of a curve matters (a spike, a plateau, where validation turned), call get_history "
        "for at most a few keys, narrowed with from_step/to_step around the event.\n"
        "6. If the cause may be a hyperparameter, call get_config, or compare_runs with a healthier run and "
        "config_diff=True.\n"
        "Then answer in a few sentences: is the run healthy, what went wrong and from which step, and the single "
        "most useful next action. Quote steps and values from the tools; do not guess numbers."
    )
