"""Which series plays which part in the analysis: the primary loss, the validation metric, the lr, grad norms.

Only the primary losses get the trend detectors (divergence, plateau, instability, overfitting). Component and
adversarial losses (RL value/policy losses, GAN generator/discriminator losses, KL terms) are not objectives that
should fall steadily, so judging their trend would raise false alarms on healthy runs; they get the NaN check and
informational spike reports only.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

import attrs
import numpy as np

from runwise.domain.model import MetricSeries, Run
from runwise.domain.roles import Role, tokens
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr

# Tokens marking a loss as a component or an adversarial term rather than the training objective.
_COMPONENT = {
    "policy", "value", "vf", "pg", "actor", "critic", "entropy", "kl", "kld", "q", "q1", "q2", "qf", "qf1", "qf2",
    "alpha", "aux", "reg", "regularization", "l1", "l2", "wd", "commitment", "vq", "codebook", "disc",
    "discriminator", "gen", "generator", "d", "g", "adv", "adversarial", "gp", "penalty", "z", "balance",
    "balancing", "router", "moe", "contrastive_aux", "std", "var",
}  # fmt: skip
# Tokens of a metric that marks the run as reinforcement learning, where losses do not simply fall.
_RL = {"reward", "rewards", "return", "returns", "rew", "episodic", "episode"}
_MAIN = {"loss", "nll", "ce", "xent", "crossentropy", "objective"}


@attrs.frozen
class KeyRoles:
    """The role of every key and the keys chosen for each part of the analysis."""

    __repr__ = fields_repr

    roles: Mapping[str, Role]
    train_loss: str | None
    val_loss: str | None
    val_metric: str | None  # validation accuracy-like metric, used for overfitting when there is no val loss
    lr: str | None
    grad_norms: tuple[str, ...]
    throughputs: tuple[str, ...]
    secondary_losses: tuple[str, ...]
    constant: tuple[str, ...] = ()  # losses and validation metrics with one value throughout: nothing to judge


def _declared(key: str, patterns: tuple[str, ...]) -> bool:
    return any(key == p or fnmatchcase(key, p) for p in patterns)


def _loss_rank(key: str, series: MetricSeries, declared: bool, rl: bool) -> tuple[int, int, int, int, int, int, str]:
    toks = set(tokens(key))
    component = bool(toks & _COMPONENT) or rl
    return (
        0 if declared else 1,
        1 if component else 0,
        0 if toks & _MAIN else 1,
        0 if "total" in toks else 1,
        -len(series),
        len(key),
        key,
    )


def _pick_loss(run: Run, keys: list[str], schema: MetricSchema, rl: bool) -> tuple[str | None, list[str]]:
    if not keys:
        return None, []
    ranked = sorted(keys, key=lambda k: _loss_rank(k, run.series[k], _declared(k, schema.loss), rl))
    best = ranked[0]
    rank = _loss_rank(best, run.series[best], _declared(best, schema.loss), rl)
    if rank[0] == 1 and rank[1] == 1:
        return None, ranked  # only component losses: no objective to judge
    return best, ranked[1:]


_JUDGED = (Role.LOSS, Role.VAL_LOSS, Role.ACCURACY, Role.VAL_ACCURACY)


def is_constant(series: MetricSeries) -> bool:
    """One finite value throughout (an unused loss term logged as 0), over at least two points."""
    values = series.values[np.isfinite(series.values)]
    return values.size >= 2 and bool(np.all(values == values[0]))


def assign(run: Run, schema: MetricSchema) -> KeyRoles:
    """Roles of all non-empty keys and the primary key of each part.

    A loss or validation metric that holds one value throughout (Ultralytics logs `box_loss` 0 for a classifier,
    a disabled loss term logs 0) is never chosen as the objective or the validation metric.
    """
    roles = {k: schema.role(k) for k, s in run.series.items()}
    constant = tuple(sorted(k for k, s in run.series.items() if roles[k] in _JUDGED and is_constant(s)))
    present = [k for k, s in run.series.items() if len(s) and k not in constant]
    by_role: dict[Role, list[str]] = {}
    for k in present:
        by_role.setdefault(roles[k], []).append(k)
    rl = any(set(tokens(k)) & _RL for k in by_role.get(Role.ACCURACY, []) + by_role.get(Role.VAL_ACCURACY, []))
    train, other_train = _pick_loss(run, by_role.get(Role.LOSS, []), schema, rl)
    val, other_val = _pick_loss(run, by_role.get(Role.VAL_LOSS, []), schema, rl)
    val_metrics = sorted(by_role.get(Role.VAL_ACCURACY, []), key=lambda k: (-len(run.series[k]), len(k), k))
    lrs = sorted(by_role.get(Role.LR, []), key=lambda k: (0 if _declared(k, schema.lr) else 1, len(k), k))
    return KeyRoles(
        roles=roles,
        train_loss=train,
        val_loss=val,
        val_metric=None if rl or not val_metrics else val_metrics[0],
        lr=lrs[0] if lrs else None,
        grad_norms=tuple(sorted(by_role.get(Role.GRAD_NORM, []))),
        throughputs=tuple(sorted(by_role.get(Role.THROUGHPUT, []))),
        secondary_losses=tuple(other_train + other_val),
        constant=constant,
    )
