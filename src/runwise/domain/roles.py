"""Metric roles inferred from key names across common logging conventions.

Names are split into tokens (path separators, `_`, `-`, `.`, camelCase, letter/digit boundaries) and matched as
whole tokens, so `acc` matches `val_acc` and `top1_acc` but not `grad_accum_steps`, and `lr` matches `lr-AdamW` and
`lr/pg0` but not `clr_scale`. Conventions covered: PyTorch Lightning, Hugging Face Trainer, Keras, W&B system
metrics, TensorBoard tag paths (`Loss/train`), fairseq, nanoGPT, Ultralytics, Stable-Baselines3, CleanRL and TRL.
"""

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


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")

_VAL = {"val", "valid", "validation", "eval", "evaluation", "test", "testing", "dev", "holdout", "heldout"}
_LOSS = {
    "loss", "losses", "nll", "perplexity", "ppl", "error", "err", "mse", "mae", "rmse", "mape", "smape", "ce",
    "xent", "crossentropy", "bpb", "bpc", "bpd", "wer", "cer", "ter", "fid", "lpips", "huber", "objective",
}  # fmt: skip
_HIGHER = {
    "acc", "accuracy", "accuracies", "f1", "bleu", "sacrebleu", "chrf", "rouge", "rouge1", "rouge2", "rougel",
    "rougelsum", "reward", "rewards", "return", "returns", "rew", "auc", "auroc", "auprc", "map", "ap", "precision",
    "recall", "iou", "miou", "dice", "score", "r2", "top1", "top5", "exact", "em", "meteor", "spearman", "pearson",
    "mcc", "winrate", "success", "ndcg", "mrr", "hit", "hits", "psnr", "ssim", "kappa",
}  # fmt: skip
_NOT_DIRECTIONAL = {"std", "stddev", "var", "variance", "rejected"}  # spread of a reward is not a reward
_LR = {"lr", "learning_rate", "learningrate"}
_GRAD = {"grad", "grads", "gradient", "gradients"}
_NORM = {"norm", "l2", "l2norm"}
_GRAD_WHOLE = {"gnorm", "gradnorm", "grad_norm", "total_norm", "global_norm", "grad_l2"}
_THROUGHPUT = {
    "throughput", "sps", "fps", "wps", "ups", "tps", "mfu", "tflops", "samples_per_sec", "samples_per_second",
    "tokens_per_sec", "tokens_per_second", "steps_per_sec", "steps_per_second", "examples_per_sec",
    "it_per_sec", "its", "speed",
}  # fmt: skip
_RATE_UNITS = {"samples", "sample", "tokens", "token", "it", "iter", "iters", "steps", "examples", "images", "img",
               "seq", "sequences", "batches", "tok", "words", "frames"}  # fmt: skip
_PER_SECOND = {"sec", "second", "s", "seconds"}
_PROGRESS = {
    "epoch", "epochs", "step", "steps", "global_step", "iter", "iters", "iteration", "iterations", "runtime",
    "timestamp", "time", "elapsed", "time_elapsed", "n_updates", "num_updates", "total_timesteps", "timesteps",
    "num_timesteps", "train_runtime", "eval_runtime", "epoch_time", "total_flos", "flos", "tokens_seen",
    "samples_seen", "examples_seen", "consumed_samples", "consumed_tokens", "num_input_tokens_seen", "wall",
    "train_wall", "wall_time", "walltime",
}  # fmt: skip
_SYSTEM_PREFIX = re.compile(r"^(system|sys|hardware|gpu\d*|cpu|memory|proc)[/.]", re.I)
_SYSTEM = {"gpu", "cpu", "memory", "mem", "disk", "network", "net", "power", "temp", "temperature", "vram",
           "rss", "swap", "util", "utilization"}  # fmt: skip


def tokens(key: str) -> list[str]:
    """Lower-case name tokens; a token with letters and digits also yields its parts (`top1` → top1, top, 1)."""
    out: list[str] = []
    for raw in _SPLIT.split(_CAMEL.sub("_", key).lower()):
        if not raw:
            continue
        out.append(raw)
        parts = _LETTER_DIGIT.split(raw)
        if len(parts) > 1:
            out.extend(parts)
    return out


def _leaf(key: str) -> str:
    return re.split(r"[/.]", key.strip("/"))[-1].lower()


def _is_progress(key: str, leaf: str) -> bool:
    if leaf.startswith("_") and leaf.strip("_") in {"step", "runtime", "timestamp", "time"}:
        return True
    return leaf in _PROGRESS or _CAMEL.sub("_", _leaf(key)).lower() in _PROGRESS


def _is_throughput(toks: list[str], leaf: str) -> bool:
    if leaf in _THROUGHPUT or any(t in _THROUGHPUT for t in toks):
        return True
    if "per" in toks and any(t in _PER_SECOND for t in toks):
        return True
    # samples/s, tokens/sec, it/s
    return len(toks) >= 2 and toks[-1] in _PER_SECOND and toks[-2] in _RATE_UNITS


def infer_role(key: str) -> Role:
    """Guess a metric's role from its name alone."""
    leaf = _leaf(key)
    toks = tokens(key)
    tokset = set(toks)
    if _is_progress(key, leaf):
        return Role.PROGRESS
    if _SYSTEM_PREFIX.search(key) or tokset & _SYSTEM:
        return Role.SYSTEM
    if tokset & _LR or ("learning" in tokset and "rate" in tokset):
        return Role.LR
    if tokset & _GRAD_WHOLE or (tokset & _GRAD and tokset & _NORM) or leaf in _GRAD_WHOLE:
        return Role.GRAD_NORM
    if _is_throughput(toks, leaf):
        return Role.THROUGHPUT
    # Ultralytics logs its validation metrics under `metrics/` (metrics/mAP50(B), metrics/precision(B))
    is_val = bool(tokset & _VAL) or key.lower().startswith("metrics/")
    if tokset & _LOSS:
        return Role.VAL_LOSS if is_val else Role.LOSS
    if tokset & _NOT_DIRECTIONAL:
        return Role.OTHER
    ranked_at_k = bool(tokset & {"top", "pass", "recall", "hit"}) and any(t.isdigit() for t in toks)
    if tokset & _HIGHER or ranked_at_k:
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
