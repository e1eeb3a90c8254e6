"""Child process: writes Hugging Face Trainer runs with `transformers.Trainer` (see tests/frameworks).

Models are built from tiny configs (vocabulary 100, one layer, hidden size 16) and randomly
initialised: nothing is downloaded. Usage: python -m tests.frameworks.hf_writer OUT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from tests.contract.spec import RunSpec, standard_specs

STAMP = 1_700_000_000


def _bert(num_labels: int = 2) -> Any:
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=32, num_labels=num_labels,
    )  # fmt: skip
    return BertForSequenceClassification(config)


def _gpt2() -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(GPT2Config(vocab_size=100, n_positions=32, n_embd=16, n_layer=1, n_head=2))


def _dataset(n: int, seed: int, *, causal: bool = False, label_noise: float = 0.0, label_token: int = 0) -> Any:
    """Random token sequences; the label says whether token `label_token` is above 50 (a fraction flipped at
    random with `label_noise`), or, for a causal model, the sequence itself."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 100, (n, 8), generator=generator)
    labels = tokens.clone() if causal else (tokens[:, label_token] > 50).long()
    if label_noise and not causal:
        flip = torch.rand(n, generator=generator) < label_noise
        labels[flip] = 1 - labels[flip]

    class Tokens(torch.utils.data.Dataset[dict[str, Any]]):
        def __len__(self) -> int:
            return n

        def __getitem__(self, i: int) -> dict[str, Any]:
            return {"input_ids": tokens[i], "labels": labels[i]}

    return Tokens()


def _args(output_dir: Path, **overrides: Any) -> Any:
    from transformers import TrainingArguments

    base: dict[str, Any] = dict(
        output_dir=str(output_dir), report_to="none", use_cpu=True, disable_tqdm=True, seed=0,
        dataloader_num_workers=0,
    )  # fmt: skip
    base.update(overrides)
    return TrainingArguments(**base)


def _save_checkpoint(trainer: Any, output_dir: Path) -> None:
    """The files `Trainer` writes into `checkpoint-N`: the model (config.json, weights, args) and the state."""
    folder = output_dir / f"checkpoint-{trainer.state.global_step}"
    trainer.save_model(str(folder))
    trainer.state.save_to_json(str(folder / "trainer_state.json"))


def write_spec(spec: RunSpec, output_dir: Path, order: int) -> None:
    """A spec's exact values through `Trainer.log`, at its steps, with a mid-run and a final checkpoint."""
    from transformers import Trainer

    trainer = Trainer(model=_bert(), args=_args(output_dir))
    trainer.state.trial_params = dict(spec.config)
    rows: dict[int, dict[str, float]] = {}
    for key, series in spec.series.items():
        for step, value in zip(series.steps, series.values):
            rows.setdefault(step, {})[key] = value
    steps = sorted(rows)
    middle = steps[len(steps) // 2]
    for step in steps:
        trainer.state.global_step = step
        trainer.state.epoch = step / 100
        trainer.log(dict(rows[step]))
        if step == middle:
            _save_checkpoint(trainer, output_dir)
    trainer.state.max_steps = steps[-1]
    _save_checkpoint(trainer, output_dir)
    trainer.save_state()
    for path in output_dir.rglob("trainer_state.json"):
        os.utime(path, (STAMP + order, STAMP + order))


def write_empty(output_dir: Path) -> None:
    """A Trainer whose state was saved before anything was logged."""
    from transformers import Trainer

    trainer = Trainer(model=_bert(), args=_args(output_dir))
    trainer.save_state()


def train(out: Path) -> None:
    """Real training: a healthy tiny classifier, and a tiny causal LM whose learning rate is far too high."""
    import torch
    from transformers import Trainer

    torch.manual_seed(0)
    healthy = out / "bert-tiny-cls"
    trainer = Trainer(
        model=_bert(),
        args=_args(
            healthy, num_train_epochs=3, per_device_train_batch_size=16, learning_rate=3e-3, logging_steps=1,
            eval_strategy="epoch", save_strategy="epoch", warmup_steps=2,
        ),
        train_dataset=_dataset(64, 1),
        eval_dataset=_dataset(16, 2),
    )  # fmt: skip
    trainer.train()
    trainer.save_state()
    torch.manual_seed(0)
    unstable = out / "gpt2-tiny-lr-too-high"
    trainer = Trainer(
        model=_gpt2(),
        args=_args(
            unstable, num_train_epochs=3, per_device_train_batch_size=16, learning_rate=5.0, logging_steps=1,
            eval_strategy="steps", eval_steps=2, save_strategy="steps", save_steps=6, max_grad_norm=1e9,
        ),
        train_dataset=_dataset(64, 3, causal=True),
        eval_dataset=_dataset(16, 4, causal=True),
    )  # fmt: skip
    trainer.train()  # no save_state: the run lives in its checkpoints only


def _fit(output_dir: Path, model: Any, train: Any, val: Any, **args: Any) -> None:
    from transformers import Trainer

    trainer = Trainer(model=model, args=_args(output_dir, save_strategy="no", **args), train_dataset=train,
                      eval_dataset=val)  # fmt: skip
    trainer.train()
    trainer.save_state()


def corpus(out: Path) -> None:
    """The corpus of short runs (see tests/frameworks/corpus.py for what is planted where)."""
    import torch

    torch.manual_seed(1)
    _fit(out / "hf-bert-healthy", _bert(), _dataset(192, 11), _dataset(32, 12), num_train_epochs=4,
         per_device_train_batch_size=16, learning_rate=3e-3, logging_steps=1, eval_strategy="epoch")  # fmt: skip
    torch.manual_seed(2)
    _fit(out / "hf-bert-healthy-steps", _bert(), _dataset(160, 13), _dataset(24, 14), num_train_epochs=4,
         per_device_train_batch_size=8, learning_rate=2e-3, logging_steps=2, eval_strategy="steps", eval_steps=10,
         warmup_steps=5, lr_scheduler_type="cosine")  # fmt: skip
    torch.manual_seed(3)
    _fit(out / "hf-bert-overfit", _bert(), _dataset(32, 15, label_noise=0.3), _dataset(64, 16), num_train_epochs=30,
         per_device_train_batch_size=8, learning_rate=5e-3, logging_steps=4, eval_strategy="epoch")  # fmt: skip
    torch.manual_seed(4)  # the evaluation labels come from another token than the training labels (a mapping bug)
    _fit(out / "hf-bert-val-never-improves", _bert(), _dataset(192, 17), _dataset(32, 18, label_token=1),
         num_train_epochs=5, per_device_train_batch_size=16, learning_rate=3e-3, logging_steps=1,
         eval_strategy="epoch")  # fmt: skip
    torch.manual_seed(5)  # warm-up to a peak lr far too high: fine at first, then the loss blows up
    _fit(out / "hf-gpt2-warmup-too-high", _gpt2(), _dataset(128, 19, causal=True), _dataset(16, 20, causal=True),
         num_train_epochs=3, per_device_train_batch_size=8, learning_rate=20.0, warmup_steps=30,
         lr_scheduler_type="constant_with_warmup", logging_steps=1, eval_strategy="steps", eval_steps=8,
         max_grad_norm=1e9)  # fmt: skip
    torch.manual_seed(6)  # an lr with a unit slip: the weights overflow to NaN
    _fit(out / "hf-gpt2-nan", _gpt2(), _dataset(96, 21, causal=True), _dataset(16, 22, causal=True),
         num_train_epochs=2, per_device_train_batch_size=8, learning_rate=1e20, warmup_steps=8,
         lr_scheduler_type="constant_with_warmup", logging_steps=1, eval_strategy="steps", eval_steps=4,
         max_grad_norm=1e9)  # fmt: skip


def main(out: Path) -> None:
    import torch

    torch.set_num_threads(1)
    for order, spec in enumerate(standard_specs()):
        write_spec(spec, out / "contract" / spec.name, order)
    write_empty(out / "empty" / "empty-run")
    train(out / "trained")
    corpus(out / "corpus")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
