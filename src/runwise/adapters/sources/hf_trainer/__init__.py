"""Hugging Face Trainer source: `trainer_state.json` in output and `checkpoint-*` folders, read as written."""

from runwise.adapters.sources.hf_trainer.source import HfTrainerRunSource

__all__ = ["HfTrainerRunSource"]
