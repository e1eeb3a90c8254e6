"""The analysis tools about one run: health_check, detect_anomalies, analyze_stability, generate_schema.

Each runs the analysis engine on every logged point; only the text is cut to the budget.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from runwise.bootstrap import Runwise
from runwise.domain.analysis import THRESHOLD_DEFAULTS
from runwise.entrypoints.mcp import views_analysis
from runwise.entrypoints.mcp.state import ServerState
from runwise.entrypoints.mcp.toolkit import Budget, KeyName, Roots, RunArg, answer, reply, unique
from runwise.entrypoints.schemas_analysis import AnomaliesOut, HealthOut, StabilityOut
from runwise.services.analysis import MAX_STABILITY_KEYS, analyze_run, run_health, run_stability
from runwise.services.init_schema import render_toml, schema_from_run

Severity = Literal["info", "warning", "critical"]


async def health_check(
    ctx: Context[ServerState], roots: Roots, run: RunArg = "latest"
) -> Annotated[CallToolResult, HealthOut]:
    """Step 3, cheapest: is the run healthy, warning or critical, and the single most important finding,
    in under 80 tokens.

    Call summarize_run for the metrics behind it and detect_anomalies for every problem.
    """

    def work(app: Runwise) -> CallToolResult:
        info, health = run_health(app.catalog, run, app.schema)
        text = views_analysis.health_text(info, health, renderer=app.renderer("mcp"), counter=app.tokens)
        return reply(HealthOut.of(info, health), text)

    return await answer(ctx, roots, "health_check", work, run=run)


async def detect_anomalies(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    severity: Annotated[
        Severity | None, Field(description="Only anomalies of this severity or worse; omit for all.")
    ] = None,
    token_budget: Annotated[
        int, Field(ge=150, le=20_000, description="Most tokens the text may use; the least severe anomalies go first.")
    ] = 600,
) -> Annotated[CallToolResult, AnomaliesOut]:
    """Every anomaly episode on every point of a run, most severe first: NaN/Inf, loss spikes, divergence,
    overfitting, plateaus, exploding or vanishing gradients, lr problems, instability, throughput drops.

    Each episode is one entry with its step range; the health line, the lr schedule's shape and next
    steps come with them. The structured output lists every anomaly even when the text leaves some out.
    """

    def work(app: Runwise) -> CallToolResult:
        result = analyze_run(app.catalog, run, app.schema)
        analysis = result.analysis.at_least(severity)
        text = views_analysis.anomalies_text(
            result.info, analysis, result.step, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget
        )
        return reply(AnomaliesOut.of(result.info, analysis), text)

    return await answer(ctx, roots, "detect_anomalies", work, run=run, args=(severity, token_budget))


async def analyze_stability(
    ctx: Context[ServerState],
    roots: Roots,
    run: RunArg = "latest",
    keys: Annotated[
        list[KeyName] | None,
        Field(
            min_length=1,
            max_length=MAX_STABILITY_KEYS,
            description="Metric keys exactly as list_keys shows them; omit for the run's key metrics.",
        ),
    ] = None,
    window: Annotated[
        int | None, Field(ge=2, le=1_000_000, description="Rolling window in points; omit for ~1% of the run.")
    ] = None,
    token_budget: Annotated[int, Budget] = 400,
) -> Annotated[CallToolResult, StabilityOut]:
    """How noisy each metric is: rolling std and coefficient of variation over every point, with a verdict
    (stable, noisy, erratic) from late training and where the rolling std peaked."""

    def work(app: Runwise) -> CallToolResult:
        info, items = run_stability(app.catalog, run, unique(keys) if keys else None, app.schema, window)
        text = views_analysis.stability_text(
            info, items, renderer=app.renderer("mcp"), counter=app.tokens, budget=token_budget
        )
        return reply(StabilityOut.of(info, items), text)

    args = (tuple(keys or ()), window, token_budget)
    return await answer(ctx, roots, "analyze_stability", work, run=run, args=args)


class SchemaOut(BaseModel):
    """A metric schema inferred from a run's keys, as TOML to save and as the parsed fields."""

    run: str = Field(description="the run the schema was inferred from")
    toml: str = Field(description="the schema file's text; save it as runwise.schema.toml")
    schema_: dict[str, Any] = Field(alias="schema", description="the same fields as in the [schema] table")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


async def generate_schema(
    ctx: Context[ServerState], roots: Roots, run: RunArg = "latest"
) -> Annotated[CallToolResult, SchemaOut]:
    """A metric schema (TOML) drafted from a run's keys: which key is the loss, which are validation
    metrics, higher- or lower-is-better, groups by prefix, and every anomaly threshold at its default.

    Writes nothing: the text is the file's content, for the user to review, edit and save as
    runwise.schema.toml (used with --schema FILE or schema_file in runwise.toml).
    """

    def work(app: Runwise) -> CallToolResult:
        thresholds = {name: default for name, (default, _why) in THRESHOLD_DEFAULTS.items()}
        name, schema = schema_from_run(app.catalog, run, thresholds)
        toml = render_toml(
            schema,
            f"Runwise metric schema inferred from run {name}.\n"
            "Edit roles the names got wrong; save as runwise.schema.toml and use it with --schema FILE "
            "or schema_file in runwise.toml.",
        )
        return reply(SchemaOut(run=name, toml=toml, schema=schema), toml)

    return await answer(ctx, roots, "generate_schema", work, run=run)
