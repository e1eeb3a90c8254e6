"""Runs grouped by the git commit they ran, each commit standing in as one column of a comparison.

A commit's value for a key is the best last value among its runs (by the key's direction; the mean when
no direction is known), taken at the step that run reached — "what did this commit achieve". The column's
label says the short commit, its branch, how many runs it holds and, when known, the commit's subject; runs
whose commit is unknown form one more group. The first commit (of the first run given) is the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from runwise.domain.git_refs import SHORT
from runwise.domain.model import GitInfo, MetricSeries, Run, RunInfo
from runwise.domain.schema import DEFAULT_SCHEMA, MetricSchema

SUBJECT_CHARS = 30
NO_COMMIT = "no commit"


def commit_of(info: RunInfo) -> str | None:
    return info.git.commit if info.git is not None and info.git.commit else None


def group_by_commit(runs: Sequence[Run]) -> list[list[Run]]:
    """The runs of each commit, commits in the order their first run was given."""
    groups: dict[str | None, list[Run]] = {}
    for run in runs:
        groups.setdefault(commit_of(run.info), []).append(run)
    return list(groups.values())


def commit_label(runs: Sequence[Run]) -> str:
    """`abc1234 main ×3 "Fix the warmup"` (inferred commits end in `?`)."""
    git: GitInfo | None = runs[0].info.git
    if git is None or not git.commit:
        return f"{NO_COMMIT} ×{len(runs)}"
    words = [git.commit[:SHORT] + ("?" if git.inferred else "")]
    if git.branch:
        words.append(git.branch)
    words.append(f"×{len(runs)}")
    subject = git.subject
    if subject:
        cut = subject if len(subject) <= SUBJECT_CHARS else subject[: SUBJECT_CHARS - 1] + "…"
        words.append(f'"{cut}"')
    return " ".join(words)


def _last_finite(series: MetricSeries) -> tuple[int, float] | None:
    finite = np.flatnonzero(np.isfinite(series.values))
    if not finite.size:
        return None
    i = int(finite[-1])
    return int(series.steps[i]), float(series.values[i])


def commit_run(runs: Sequence[Run], schema: MetricSchema = DEFAULT_SCHEMA) -> Run:
    """One stand-in run for a commit: per key, the best last value among its runs (see the module docstring)."""
    keys = sorted(set().union(*(run.series.keys() for run in runs)))
    series: dict[str, MetricSeries] = {}
    for key in keys:
        lasts = [p for run in runs if key in run.series and (p := _last_finite(run.series[key])) is not None]
        if not lasts:
            continue
        direction = schema.direction(key)
        if direction is None:
            step, value = max(s for s, _ in lasts), math.fsum(v for _, v in lasts) / len(lasts)
        else:
            step, value = (max if direction else min)(lasts, key=lambda p: p[1])
        series[key] = MetricSeries(key, np.array([step]), np.array([value]))
    first = runs[0].info
    label = commit_label(runs)
    info = RunInfo(id=label, name=label, source="commit", project=first.project, git=first.git,
                   last_step=max((s.last_step or 0 for s in series.values()), default=None))  # fmt: skip
    return Run(info=info, config=dict(runs[0].config), series=series)


def commit_runs(runs: Sequence[Run], schema: MetricSchema = DEFAULT_SCHEMA) -> list[Run]:
    """A stand-in run per commit, in the order of `group_by_commit`."""
    return [commit_run(group, schema) for group in group_by_commit(runs)]
