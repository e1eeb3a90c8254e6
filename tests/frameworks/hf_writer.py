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


def _dataset(n: int, seed: int, *, causal: bool = False) -> Any:
    import torch

    generator = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, 100, (n, 8), generator=generator)
    labels = tokens.clone() if causal else (tokens[:, 0] > 50).long()

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


def main(out: Path) -> None:
    import torch

    torch.set_num_threads(1)
    for order, spec in enumerate(standard_specs()):
        write_spec(spec, out / "contract" / spec.name, order)
    write_empty(out / "empty" / "empty-run")
    train(out / "trained")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
