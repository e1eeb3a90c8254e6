"""Metric roles from key names across logging conventions, and the keys the analysis picks for each part."""

from __future__ import annotations

import numpy as np
import pytest

from runwise.domain.analysis.keys import assign
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.domain.roles import Role, higher_is_better, infer_role
from runwise.domain.schema import MetricSchema

CASES = {
    Role.LOSS: ["loss", "train/loss", "train_loss", "train_loss_step", "train/loss_epoch", "Loss/train", "nll_loss",
                "ppl", "perplexity", "mean_absolute_error", "trainLoss", "train/box_loss", "losses/value_loss", "bpb"],
    Role.VAL_LOSS: ["val/loss", "val_loss", "eval_loss", "validation/loss", "valid_loss", "eval/loss", "Loss/val",
                    "test_loss", "valLoss", "val/cls_loss", "valid_ppl", "dev/wer"],
    Role.ACCURACY: ["accuracy", "train/acc", "sparse_categorical_accuracy", "top1_acc", "acc@1", "f1", "bleu",
                    "rougeL", "charts/episodic_return", "rollout/ep_rew_mean", "bbox_mAP",
                    "reward", "pass@1", "auc"],
    Role.VAL_ACCURACY: ["val_acc", "eval/accuracy", "val_accuracy", "Accuracy/test", "val/f1_macro",
                        "eval/rewards/accuracies", "metrics/mAP50(B)", "metrics/mAP50-95(B)", "eval_accuracy",
                        "val_acc_epoch"],
    Role.LR: ["lr", "learning_rate", "lr-AdamW", "train/learning_rate", "lr/pg0", "charts/learning_rate",
              "lr-Adam/pg1"],
    Role.GRAD_NORM: ["grad_norm", "gradient_norm", "total_norm", "train/grad_norm", "gnorm", "grad/norm",
                     "gradients/global_norm", "grad_norm/layer1.weight"],
    Role.THROUGHPUT: ["samples_per_sec", "tokens_per_sec", "eval/samples_per_second", "charts/SPS", "time/fps",
                      "tokens/s", "it/s", "wps", "mfu", "perf/tokens_per_sec", "throughput"],
    Role.PROGRESS: ["epoch", "step", "_step", "_runtime", "_timestamp", "trainer/global_step", "train/epoch",
                    "eval/runtime", "train/train_runtime", "time/total_timesteps", "train/total_flos", "iter"],
    Role.SYSTEM: ["system/gpu.0.memory", "gpu_mem", "system/cpu", "memory/rss"],
    Role.OTHER: ["grad_accum_steps", "weight_norm", "param_norm", "train/approx_kl", "reward_std", "rewards/rejected",
                 "foo", "clip", "bsz"],
}  # fmt: skip


@pytest.mark.parametrize(("key", "role"), [(k, r) for r, keys in CASES.items() for k in keys])
def test_role_from_name(key: str, role: Role) -> None:
    assert infer_role(key) is role


def test_directions() -> None:
    assert higher_is_better(Role.LOSS) is False and higher_is_better(Role.VAL_ACCURACY) is True
    assert higher_is_better(Role.LR) is None


def _run(**values: int) -> Run:
    series = {k: MetricSeries(k, np.arange(n), np.linspace(2, 1, n)) for k, n in values.items()}
    return Run(RunInfo(id="r", name="r", source="memory"), series=series)


@pytest.mark.parametrize(
    ("keys", "train", "val"),
    [
        ({"train/loss": 100, "train/ppl": 100, "val/loss": 10}, "train/loss", "val/loss"),
        ({"loss": 100, "loss_cls": 100, "loss_bbox": 100}, "loss", None),
        ({"train_loss_step": 100, "train_loss_epoch": 5, "val_loss": 5}, "train_loss_step", "val_loss"),
        ({"recon_loss": 100, "kl_loss": 100, "total_loss": 100}, "total_loss", None),
        ({"loss_D": 100, "loss_G": 100}, None, None),
        ({"losses/value_loss": 100, "losses/policy_loss": 100, "charts/episodic_return": 100}, None, None),
        ({"train/loss": 100, "charts/episodic_return": 100}, None, None),  # RL: losses are not objectives
    ],
)
def test_primary_losses(keys: dict[str, int], train: str | None, val: str | None) -> None:
    roles = assign(_run(**keys), MetricSchema())
    assert (roles.train_loss, roles.val_loss) == (train, val)


def test_schema_names_the_primary_loss() -> None:
    roles = assign(_run(loss_D=100, loss_G=100), MetricSchema(loss=("loss_G",)))
    assert roles.train_loss == "loss_G"


def test_primary_lr_and_grad_norms() -> None:
    roles = assign(_run(**{"lr/pg1": 10, "lr/pg0": 10, "grad_norm": 10, "grad_norm/fc": 10}), MetricSchema())
    assert roles.lr == "lr/pg0" and roles.grad_norms == ("grad_norm", "grad_norm/fc")
