"""Telling others, from the CLI only: `runwise notify slack REF` (a run's summary to Slack) and
`runwise github comment --pr N REF...` (one pull-request comment with the runs' report, edited in place on every
re-run).

Declared like every capability (parameters, bounds, help, result), but with no MCP tool and no API method:
posting to Slack or GitHub is a side effect a person starts, not something an assistant does while reading logs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any, Literal

import attrs
from pydantic import Field

from runwise.domain.budget import Section
from runwise.domain.errors import InvalidInput
from runwise.domain.model import RunInfo
from runwise.domain.shared_repr import fields_repr
from runwise.entrypoints.capabilities.declaration import Capability, Cli, Params, RunRef, run_refs
from runwise.entrypoints.structured.inspect import RunRefOut
from runwise.entrypoints.structured.share import CommentOut, NotifyOut
from runwise.services.charts import MAX_RUNS
from runwise.services.fitting import Fitted

if TYPE_CHECKING:
    from runwise.bootstrap import Runwise

REPORT_COMMAND = "runwise report REF"  # where a pull request's reader gets the charts
SIDE_EFFECT = "posts to {where}: a side effect a person starts, not an assistant reading logs"


# notify -------------------------------------------------------------------------------------------
class NotifyParams(Params):
    channel: Annotated[Literal["slack"], Field(description="Where to send it: slack."), Cli(metavar="CHANNEL")]
    run: RunRef = "latest"


@attrs.frozen
class Sent:
    __repr__ = fields_repr

    run: RunInfo
    channel: str
    severity: str


def _notify(app: Runwise, p: NotifyParams) -> Sent:
    """The run's summary as an alert: its name and state are the alert's title, so the header line is left out."""
    from runwise.domain.anomaly import SEVERITY_RANK
    from runwise.domain.watch import Alert
    from runwise.entrypoints.capabilities.inspect import SUMMARY, SummaryParams
    from runwise.entrypoints.capabilities.wording import CliWording
    from runwise.entrypoints.cli.watch_command import notifiers
    from runwise.services.fitting import fit_answer
    from runwise.services.notify import Dispatcher

    params = SummaryParams(run=p.run)
    summary = SUMMARY.use(app, params)
    renderer = app.renderer("text").with_wording(CliWording(SUMMARY))  # read by people, who use the CLI
    sections = [s for s in SUMMARY.sections(renderer, summary, params) if s.name != "header"]
    text = fit_answer(sections, app.tokens, SUMMARY.budget_of(params)).text
    info = summary.run
    ranks = [SEVERITY_RANK[a.severity] for a in summary.anomalies]
    severity = next(name for name, rank in SEVERITY_RANK.items() if rank == max(ranks, default=0))
    alert = Alert(
        title=f"{info.name} · {info.state}",
        lines=tuple(line for line in text.splitlines() if line.strip()),
        severity=severity,  # type: ignore[arg-type]
        link=info.url,
        run=info.qualified_id,
    )
    failures = Dispatcher(notifiers(app.settings, [p.channel])).send(alert)
    if failures:
        raise InvalidInput(failures[0])
    return Sent(info, p.channel, severity)


NOTIFY = Capability(
    name="notify",
    cli_only=SIDE_EFFECT.format(where="Slack"),
    title="Send a run's summary",
    help="send a run's summary to Slack (RUNWISE_SLACK_WEBHOOK)",
    description="A run's summary (headline, key metrics, anomalies) as a Slack message, coloured by severity.",
    params=NotifyParams,
    output=NotifyOut,
    use=_notify,
    sections=lambda r, sent, p: [
        Section("sent", 0, (f"sent the summary of {sent.run.name} to {sent.channel}",), required=True)
    ],
    structured=lambda sent, fit: NotifyOut(
        run=RunRefOut.copy_of(sent.run), channel=sent.channel, severity=sent.severity
    ),
)


# github comment -----------------------------------------------------------------------------------
class CommentParams(Params):
    runs: run_refs("The runs to report.", max_length=MAX_RUNS)  # type: ignore[valid-type]
    pr: Annotated[
        int | None, Field(ge=1, description="Pull request number (default: the pull request of the run's branch).")
    ] = None
    repo: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=256,
            description="Repository OWNER/NAME (default: GITHUB_REPOSITORY, else the run's remote).",
        ),
        Cli(("--repo",), metavar="OWNER/NAME"),
    ] = None


@attrs.frozen
class Posted:
    __repr__ = fields_repr

    action: str
    url: str
    repo: tuple[str, str]
    pr: int
    runs: tuple[RunInfo, ...]


def _comment(app: Runwise, p: CommentParams) -> Posted:
    from runwise import __version__
    from runwise.adapters.renderers.report import MarkdownReportRenderer
    from runwise.adapters.vcs.git import commit_url, infer_git
    from runwise.adapters.vcs.github import GitHub
    from runwise.services.report import build_report

    report = build_report(app.catalog, p.runs, app.schema, analyzer=app.analyzer, version=__version__)
    gits = []
    for ref in p.runs:
        info = app.catalog.resolve(ref)[1]
        git = info.git or (infer_git(info.path, info.created_at) if info.path else None)
        gits.append((info, git))
    repo = _repo(p.repo, [g for _, g in gits if g is not None])
    client = GitHub(os.environ.get("GITHUB_TOKEN"), os.environ.get("GITHUB_API_URL"))
    number = p.pr or _pull_of_branch(client, repo, gits)
    lines = [MarkdownReportRenderer(charts_from=REPORT_COMMAND).render(report).rstrip(), ""]
    for info, git in gits:
        if git is not None and git.commit:
            link = commit_url(git) or git.commit[:12]
            mark = " (inferred from the work tree)" if git.inferred else ""
            lines.append(f"- {info.name}: commit [{git.commit[:7]}]({link}){mark}")
    action, url = client.upsert_comment(repo[0], repo[1], number, "\n".join(lines).rstrip() + "\n")
    return Posted(action, url, repo, number, tuple(info for info, _ in gits))


def _repo(given: str | None, gits: list[Any]) -> tuple[str, str]:
    from runwise.adapters.vcs.git import github_repo
    from runwise.domain.hints import Param, say

    text = given or os.environ.get("GITHUB_REPOSITORY")
    if text:
        owner, _, name = text.partition("/")
        if owner and name:
            return owner, name
        raise InvalidInput(say(Param("repo", text), ": not OWNER/NAME"))
    for git in gits:
        found = github_repo(git.remote)
        if found:
            return found
    raise InvalidInput("no GitHub repository known for these runs", say("pass ", Param("repo", "OWNER/NAME")))


def _pull_of_branch(client: Any, repo: tuple[str, str], gits: list[Any]) -> int:
    from runwise.domain.hints import Param, say

    for _, git in gits:
        if git is not None and git.branch:
            number = client.pull_for_branch(repo[0], repo[1], git.branch)
            if number is not None:
                return int(number)
    raise InvalidInput("no pull request found for the runs' branch", say("pass ", Param("pr", "N")))


def _comment_out(posted: Posted, fit: Fitted) -> CommentOut:
    return CommentOut(
        action=posted.action,  # type: ignore[arg-type]
        repo="/".join(posted.repo),
        pr=posted.pr,
        url=posted.url,
        runs=[RunRefOut.copy_of(info) for info in posted.runs],
    )


COMMENT = Capability(
    name="github_comment",
    cli_name="github comment",
    cli_only=SIDE_EFFECT.format(where="a GitHub pull request"),
    title="Comment on a pull request",
    help="post or update the runs' report as a pull-request comment",
    description="The runs' markdown report (with each run's commit) as one pull-request comment, edited in place "
    "on every re-run.",
    params=CommentParams,
    output=CommentOut,
    use=_comment,
    sections=lambda r, posted, p: [
        Section(
            "posted",
            0,
            (f"{posted.action} the Runwise comment on {'/'.join(posted.repo)}#{posted.pr}: {posted.url}",),
            required=True,
        )
    ],
    structured=_comment_out,
)

CAPABILITIES = (NOTIFY, COMMENT)
