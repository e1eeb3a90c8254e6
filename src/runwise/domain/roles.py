"""Metric roles inferred from key names across common logging conventions."""

from __future__ import annotations

import re
from enum import Enum


class Role(str, Enum):
    """What a metric measures, which decides its direction and how it is shown."""

    LOSS = "loss"
    VAL_LOSS = "val_loss"
    ACCURACY = "accuracy"  # higher is better (acc, f1, bleu, reward, auc, map...)
    VAL_ACCURACY = "val_accuracy"
    LR = "lr"
    GRAD_NORM = "grad_norm"
    THROUGHPUT = "throughput"
    PROGRESS = "progress"  # epoch, step counters, runtime
    SYSTEM = "system"  # gpu, memory, cpu
    OTHER = "other"


_VAL = re.compile(r"(^|[/_.\-])(val|valid|validation|eval|evaluation|test|dev|holdout)([/_.\-]|$)", re.I)
_LOSS = re.compile(r"(loss|nll|perplexity|ppl|error|err|mse|mae|rmse|cross_?entropy|^ce$|(^|[/_])ce($|[/_]))", re.I)
_HIGHER = re.compile(
    r"(acc|accuracy|f1|bleu|rouge|reward|return|auc|auroc|map|mAP|precision|recall|iou|dice|score|r2|"
    r"top[_-]?[0-9]|exact_match|em$|meteor|spearman|pearson|mcc|win_rate)",
    re.I,
)
_LR = re.compile(r"(^|[/_.\-])(lr|learning_rate|learning-rate|learningrate)([/_.\-]|$|[0-9])|^lr[-_]|lr-", re.I)
_GRAD = re.compile(r"(grad(ient)?_?norm|total_norm|grad/norm|gradnorm|grad_l2)", re.I)
_THROUGHPUT = re.compile(
    r"(per_?sec|/s$|_per_second|samples_per|tokens_per|it/s|its_per|throughput|steps_per|mfu|tps$)", re.I
)
_PROGRESS = re.compile(r"(^|/)(epoch|_?step|global_step|iter|iteration|_runtime|_timestamp|runtime|time|elapsed)$", re.I)
_SYSTEM = re.compile(r"^(system|sys)/|gpu|cpu|memory|mem_|disk|network|power|temp", re.I)


def infer_role(key: str) -> Role:
    """Guess a metric's role from its name alone."""
    if _PROGRESS.search(key):
        return Role.PROGRESS
    if _SYSTEM.search(key):
        return Role.SYSTEM
    if _LR.search(key):
        return Role.LR
    if _GRAD.search(key):
        return Role.GRAD_NORM
    if _THROUGHPUT.search(key):
        return Role.THROUGHPUT
    is_val = bool(_VAL.search(key))
    leaf = key.rsplit("/", 1)[-1]
    if _LOSS.search(leaf) or _LOSS.search(key):
        return Role.VAL_LOSS if is_val else Role.LOSS
    if _HIGHER.search(leaf):
        return Role.VAL_ACCURACY if is_val else Role.ACCURACY
    return Role.OTHER


def higher_is_better(role: Role) -> bool | None:
    """Direction of improvement for a role; None when it has none (lr, progress...)."""
    if role in (Role.LOSS, Role.VAL_LOSS):
        return False
    if role in (Role.ACCURACY, Role.VAL_ACCURACY, Role.THROUGHPUT):
        return True
    return None


# Order in which roles make a metric "key" for summaries: losses first, then validation, accuracy, lr, grad norm.
ROLE_PRIORITY: dict[Role, int] = {
    Role.LOSS: 0,
    Role.VAL_LOSS: 1,
    Role.VAL_ACCURACY: 2,
    Role.ACCURACY: 3,
    Role.LR: 4,
    Role.GRAD_NORM: 5,
    Role.THROUGHPUT: 6,
    Role.OTHER: 7,
    Role.SYSTEM: 8,
    Role.PROGRESS: 9,
}
