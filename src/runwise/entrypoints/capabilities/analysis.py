"""The analysis engine's answers about one run: health, anomalies, stability, and drafting a metric schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import attrs
from pydantic import Field

from runwise.domain.analysis import Health
from runwise.domain.git_refs import git_words
from runwise.domain.model import RunInfo
from runwise.entrypoints.capabilities.declaration import (
    KEYS_HELP,
    Budget,
    Capability,
    Cli,
    CliSide,
    ExitPolicy,
    KeyName,
    Params,
    RunRef,
    budget_param,
)
from runwise.entrypoints.structured.analysis import AnomaliesOut, HealthOut, SchemaDraftOut, StabilityOut
from runwise.services.analysis import MAX_STABILITY_KEYS, RunAnalysis, analyze_run, run_health, run_stability
from runwise.services.fitting import Fitted

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

HEALTH_BUDGET = 80  # the design's promise for a health check


class HealthParams(Params):
    run: RunRef = "latest"


HEALTH = Capability(
    name="health",
    tool="health_check",
    title="Check a run's health",
    help="healthy / warning / critical and the main finding",
    description="Step 3, cheapest: healthy, warning or critical and the one finding that matters, under 80 tokens.",
    params=HealthParams,
    output=HealthOut,
    use=lambda app, p: run_health(app.catalog, p.run, app.schema, app.analyzer),
    sections=lambda r, res, p: r.health_sections(*res),
    structured=lambda res, fit: HealthOut.of(res[0], _shown_finding(res[1], fit)),
    budget=HEALTH_BUDGET,
    exit_policy=ExitPolicy(
        "--strict",
        "exit 1 when the run is critical",
        lambda res: res[1].status == "critical",
        step_summary=lambda app, res: health_markdown(app.catalog.with_git(res[0]), res[1]),
    ),
    reads=lambda p: (p.run,),
)


def health_markdown(info: RunInfo, health: Health) -> str:
    """The job-summary lines of `health --strict` under GitHub Actions: the verdict, the finding, the commit."""
    mark = {"healthy": ":white_check_mark:", "warning": ":warning:", "critical": ":x:"}.get(health.status, "")
    lines = [f"### {mark} Runwise health: {info.name} is {health.status}".replace("  ", " "), "", health.finding]
    code = git_words(info.git)
    if code:
        lines += ["", code]
    return "\n".join(lines)


def _shown_finding(health: Health, fit: Fitted) -> Health:
    """The health with the finding's clauses the fitted line shows."""
    clauses = health.finding.split("; ")
    return attrs.evolve(health, finding="; ".join(clauses[: fit.count("health", len(clauses))]))


# anomalies ----------------------------------------------------------------------------------------
Severity = Literal["info", "warning", "critical"]


class AnomaliesParams(Params):
    run: RunRef = "latest"
    severity: Annotated[Severity | None, Field(description="Only this severity or worse.")] = None
    token_budget: budget_param(low=150) = 600  # type: ignore[valid-type]


def _anomalies(app: Runwise, p: AnomaliesParams) -> RunAnalysis:
    result = analyze_run(app.catalog, p.run, app.schema, app.analyzer)
    return attrs.evolve(result, analysis=result.analysis.at_least(p.severity))


def _anomalies_out(res: RunAnalysis, fit: Fitted) -> AnomaliesOut:
    a = res.analysis
    cut = attrs.evolve(
        a,
        anomalies=a.anomalies[: fit.count("anomalies")] if a.anomalies else (),
        recommendations=a.recommendations[: fit.count("recommendations")],
        lr=a.lr if fit.kept("lr") else None,
    )
    return AnomaliesOut.of(res.info, cut, total=len(a.anomalies))


ANOMALIES = Capability(
    name="anomalies",
    tool="detect_anomalies",
    title="Detect a run's anomalies",
    help="every anomaly episode, with lr analysis and next steps",
    description="Every anomaly episode on every point, most severe first (NaN/Inf, spikes, divergence, overfitting, "
    "plateaus, gradients, lr, instability, throughput), each with its steps; plus health, lr schedule and next steps.",
    params=AnomaliesParams,
    output=AnomaliesOut,
    use=_anomalies,
    sections=lambda r, res, p: r.anomalies_sections(res.info, res.analysis, res.step),
    structured=_anomalies_out,
    reads=lambda p: (p.run,),
)


# stability ----------------------------------------------------------------------------------------
class StabilityParams(Params):
    run: RunRef = "latest"
    keys: Annotated[
        list[KeyName] | None,
        Field(min_length=1, max_length=MAX_STABILITY_KEYS, description=f"{KEYS_HELP}; omit for the key metrics."),
        Cli(("-k", "--keys"), split=True),
    ] = None
    window: Annotated[int | None, Field(ge=2, le=1_000_000, description="Rolling window in points (~1% of run).")] = (
        None
    )
    token_budget: Budget = 400


STABILITY = Capability(
    name="stability",
    tool="analyze_stability",
    title="Analyze metric stability",
    help="rolling std and coefficient of variation per key",
    description="How noisy each metric is: rolling std and CV over every point, a verdict (stable, noisy, erratic) "
    "from late training, and where the rolling std peaked.",
    params=StabilityParams,
    output=StabilityOut,
    use=lambda app, p: run_stability(
        app.catalog, p.run, list(dict.fromkeys(p.keys)) if p.keys else None, app.schema, p.window
    ),
    sections=lambda r, res, p: r.stability_sections(*res),
    structured=lambda res, fit: StabilityOut.of(res[0], list(res[1][: fit.count("stability")])),
    reads=lambda p: (p.run,),
)


# init / generate_schema ---------------------------------------------------------------------------
class DraftParams(Params):
    run: Annotated[
        str,
        Field(min_length=1, max_length=1024, description="The run to draft from."),
        Cli(("--from-run",), metavar="REF"),
    ] = "latest"


def _draft(app: Runwise, p: DraftParams) -> SchemaDraftOut:
    from runwise.domain.analysis import THRESHOLD_DEFAULTS
    from runwise.services.draft_schema import render_toml, schema_from_run

    thresholds = {name: default for name, (default, _why) in THRESHOLD_DEFAULTS.items()}
    name, fields = schema_from_run(app.catalog, p.run, thresholds)
    toml = render_toml(
        fields,
        f"Runwise metric schema inferred from run {name}.\n"
        "Edit roles the names got wrong; save as runwise.schema.toml (see the README for every field).",
    )
    return SchemaDraftOut(run=name, toml=toml, schema=fields)


def _draft_sections(renderer: Any, draft: SchemaDraftOut, p: DraftParams) -> list[Any]:
    from runwise.domain.budget import Section

    return [Section("toml", 0, (draft.toml,), required=True)]


INIT = Capability(
    name="init",
    tool="generate_schema",
    title="Generate a metric schema",
    help="write a metric schema file from a run or a template",
    description="Draft a metric schema (TOML) from a run's keys: loss and validation keys, directions, prefix "
    "groups, every anomaly threshold at its default. Writes nothing; the text is the file to review and save.",
    params=DraftParams,
    output=SchemaDraftOut,
    use=_draft,
    sections=_draft_sections,
    structured=lambda res, fit: res,
    reads=lambda p: (p.run,),
    differs={"run": "the CLI writes a file, so it asks for --from-run or --template explicitly"},
    cli_side=CliSide("init_command", arguments="setup"),  # also writes the file and offers templates
)


CAPABILITIES = (HEALTH, ANOMALIES, STABILITY, INIT)
