"""Telling others: `runwise notify slack REF` (a run's summary to Slack) and `runwise github comment --pr N REF...`
(one pull-request comment with the runs' report, edited in place on every re-run)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from runwise.domain.errors import InvalidInput
from runwise.entrypoints.cli.output import Context

Handler = Callable[[Context], int]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> dict[str, Handler]:  # type: ignore[type-arg]
    p = sub.add_parser("notify", parents=[common], help="send a run's summary to Slack (RUNWISE_SLACK_WEBHOOK)")
    p.add_argument("channel", choices=["slack"], help="where to send it")
    p.add_argument("ref", metavar="REF", nargs="?", default="latest", help="which run (default: latest)")
    g = sub.add_parser("github", parents=[common], help="post or update the runs' report as a pull-request comment")
    g.add_argument("action", choices=["comment"])
    g.add_argument("refs", metavar="REF", nargs="+", help="the runs to report")
    g.add_argument("--pr", type=int, help="pull request number (default: the pull request of the run's branch)")
    g.add_argument(
        "--repo", metavar="OWNER/NAME", help="repository (default: GITHUB_REPOSITORY, else the run's remote)"
    )
    return {"notify": cmd_notify, "github": cmd_github}


def cmd_notify(ctx: Context) -> int:
    from runwise.domain.anomaly import SEVERITY_RANK
    from runwise.domain.watch import Alert
    from runwise.entrypoints.capabilities import BY_NAME
    from runwise.entrypoints.cli.commands import answer
    from runwise.entrypoints.cli.watch_command import notifiers
    from runwise.services.notify import Dispatcher

    summary = answer(ctx, BY_NAME["summary"], {"run": ctx.args.ref})
    info = summary.result.run
    ranks = [SEVERITY_RANK[a.severity] for a in summary.result.anomalies]
    severity = next(name for name, rank in SEVERITY_RANK.items() if rank == max(ranks, default=0))
    alert = Alert(
        title=f"{info.name} · {info.state}",
        lines=tuple(line for line in summary.text.splitlines()[1:] if line.strip()),
        severity=severity,  # type: ignore[arg-type]
        link=info.url,
        run=info.qualified_id,
    )
    failures = Dispatcher(notifiers(ctx, [ctx.args.channel])).send(alert)
    if failures:
        raise InvalidInput(failures[0])
    ctx.out.write(f"sent the summary of {info.name} to {ctx.args.channel}\n")
    return 0


def cmd_github(ctx: Context) -> int:
    from runwise import __version__
    from runwise.adapters.renderers.report import MarkdownReportRenderer
    from runwise.adapters.vcs.git import commit_url, infer_git
    from runwise.adapters.vcs.github import GitHub
    from runwise.services.report import build_report

    app, args = ctx.app, ctx.args
    report = build_report(app.catalog, args.refs, app.schema, analyzer=app.analyzer, version=__version__)
    gits = []
    for ref in args.refs:
        info = app.catalog.resolve(ref)[1]
        git = info.git or (infer_git(info.path, info.created_at) if info.path else None)
        gits.append((info, git))
    repo = _repo(args.repo, [g for _, g in gits if g is not None])
    client = GitHub(os.environ.get("GITHUB_TOKEN"), os.environ.get("GITHUB_API_URL"))
    number = args.pr or _pull_of_branch(client, repo, gits)
    lines = [MarkdownReportRenderer().render(report).rstrip(), ""]
    for info, git in gits:
        if git is not None and git.commit:
            link = commit_url(git) or git.commit[:12]
            mark = " (inferred from the work tree)" if git.inferred else ""
            lines.append(f"- {info.name}: commit [{git.commit[:7]}]({link}){mark}")
    action, url = client.upsert_comment(repo[0], repo[1], number, "\n".join(lines).rstrip() + "\n")
    ctx.out.write(f"{action} the Runwise comment on {repo[0]}/{repo[1]}#{number}: {url}\n")
    return 0


def _repo(given: str | None, gits: list[Any]) -> tuple[str, str]:
    from runwise.adapters.vcs.git import github_repo

    text = given or os.environ.get("GITHUB_REPOSITORY")
    if text:
        owner, _, name = text.partition("/")
        if owner and name:
            return owner, name
        raise InvalidInput(f"--repo {text}: not OWNER/NAME")
    for git in gits:
        found = github_repo(git.remote)
        if found:
            return found
    raise InvalidInput("no GitHub repository known for these runs", "pass --repo OWNER/NAME")


def _pull_of_branch(client: Any, repo: tuple[str, str], gits: list[Any]) -> int:
    for _, git in gits:
        if git is not None and git.branch:
            number = client.pull_for_branch(repo[0], repo[1], git.branch)
            if number is not None:
                return int(number)
    raise InvalidInput("no pull request found for the runs' branch", "pass --pr N")
