"""The real-framework corpus: short runs written by transformers' Trainer, Lightning's CSVLogger, Keras 3 (torch
backend) CSVLogger and a nanoGPT-style script, read back by Runwise's own sources, with what was planted in each.

The writers (`corpus` in each `*_writer.py`, and their `trained` runs) cause the problems the way users meet them:
an lr far too high from the first step, a warm-up that climbs to an lr far too high, an lr with a unit slip that
overflows the weights to NaN, a tiny training set with noisy labels (overfitting), a validation pipeline that feeds
blank images or labels from the wrong token (validation never improves), a script re-run into the same Keras log.
The healthy runs are noisy on purpose: validation sets of 24-60 examples, per-batch losses of batches of 8.

A planted problem's onset is computed from the logged numbers by the rule of its kind (`ONSET_RULES`), never from
the detectors: the validation best, the first evaluation, the first point from which the loss stayed 1.5x above its
best before, the first non-finite point. `python -m tests.frameworks.corpus` prints what the detectors find on
every run, and the recall and false alarms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from runwise.adapters.sources.csv_loggers.source import KerasRunSource, LightningRunSource
from runwise.adapters.sources.hf_trainer.source import HfTrainerRunSource
from runwise.adapters.sources.text_logs.source import TextLogRunSource
from runwise.domain.anomaly import Anomaly
from runwise.domain.model import MetricSeries, Run
from tests.frameworks.session import framework_runs

SOURCES = {"hf": HfTrainerRunSource, "lightning": LightningRunSource, "keras": KerasRunSource, "text": TextLogRunSource}


def _finite(series: MetricSeries) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(series.values)
    return series.steps[keep], series.values[keep]


def val_best(series: MetricSeries) -> int:
    """Overfitting starts at the validation best (the checkpoint to keep)."""
    steps, values = _finite(series)
    return int(steps[int(np.argmin(values))])


def first_eval(series: MetricSeries) -> int:
    """Validation that never improves does so from its first evaluation."""
    return int(series.steps[0])


def stays_high(series: MetricSeries) -> int:
    """A divergence starts at the first point from which the loss stayed 1.5x or more above its best before it."""
    steps, values = _finite(series)
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(values)[:-1]])
    calm = np.flatnonzero(values < 1.5 * best_before)
    return int(steps[int(calm[-1]) + 1])


def first_nonfinite(series: MetricSeries) -> int:
    """A NaN/Inf problem starts at the first non-finite point."""
    return int(series.steps[int(np.argmax(~np.isfinite(series.values)))])


ONSET_RULES: dict[str, Callable[[MetricSeries], int]] = {
    "overfitting": val_best,
    "plateau": first_eval,
    "divergence": stays_high,
    "nan_inf": first_nonfinite,
}


@dataclass(frozen=True)
class Planted:
    """A problem caused in a run: its kind, the metric it shows on, and the series its onset rule reads (the same
    metric unless that one is per-batch noise and an epoch-level twin exists)."""

    kind: str
    metric: str
    onset_key: str = ""

    def onset(self, run: Run) -> int:
        return ONSET_RULES[self.kind](run.series[self.onset_key or self.metric])

    def window(self, run: Run) -> tuple[int, int]:
        """Steps within which a finding's onset is right: one point of the onset series either side, or 5% of its
        points on long per-step series (a smoothed onset of a noisy loss lands a few steps later)."""
        steps = run.series[self.onset_key or self.metric].steps
        i = int(np.searchsorted(steps, self.onset(run)))
        reach = max(1, math.ceil(0.05 * steps.size))
        return int(steps[max(0, i - reach)]), int(steps[min(steps.size - 1, i + reach)])


@dataclass(frozen=True)
class CorpusRun:
    framework: str
    folder: str  # "corpus" or "trained" in the framework's output
    run_id: str
    planted: Planted | None = None

    @property
    def name(self) -> str:
        return f"{self.framework}:{self.run_id}"


def _runs() -> list[CorpusRun]:
    hf, pl, keras, text = "hf", "lightning", "keras", "text"
    healthy = [
        CorpusRun(hf, "corpus", "hf-bert-healthy"),
        CorpusRun(hf, "corpus", "hf-bert-healthy-steps"),
        CorpusRun(hf, "trained", "bert-tiny-cls"),
        CorpusRun(pl, "corpus", "pl-small-batches/version_0"),
        CorpusRun(pl, "corpus", "pl-small-val/version_0"),
        CorpusRun(pl, "trained", "lightning_logs/version_0"),
        CorpusRun(keras, "corpus", "keras-small-val"),
        CorpusRun(keras, "corpus", "keras-small-batches"),
        CorpusRun(keras, "corpus", "keras-rerun-appended"),  # two sessions: the epoch counter restarts
        CorpusRun(keras, "trained", "mlp-resumed"),
        CorpusRun(text, "corpus", "char-healthy"),
        CorpusRun(text, "corpus", "char-healthy-fast"),
        CorpusRun(text, "trained", "shakespeare-char"),
    ]
    problems = [
        CorpusRun(hf, "trained", "gpt2-tiny-lr-too-high", Planted("divergence", "loss")),
        CorpusRun(hf, "corpus", "hf-gpt2-warmup-too-high", Planted("divergence", "loss")),
        CorpusRun(hf, "corpus", "hf-gpt2-nan", Planted("nan_inf", "grad_norm")),  # Trainer logs such a loss as 0
        CorpusRun(hf, "corpus", "hf-bert-overfit", Planted("overfitting", "eval_loss")),
        CorpusRun(hf, "corpus", "hf-bert-val-never-improves", Planted("plateau", "eval_loss")),
        CorpusRun(
            pl, "corpus", "pl-lr-too-high/version_0", Planted("divergence", "train_loss_step", "train_loss_epoch")
        ),
        CorpusRun(pl, "corpus", "pl-nan/version_0", Planted("nan_inf", "train_loss_step")),
        CorpusRun(pl, "trained", "lightning_logs/version_1", Planted("nan_inf", "train_loss_step")),
        CorpusRun(pl, "corpus", "pl-overfit/version_0", Planted("overfitting", "val_loss")),
        CorpusRun(pl, "corpus", "pl-val-never-improves/version_0", Planted("plateau", "val_loss")),
        CorpusRun(keras, "corpus", "keras-lr-too-high", Planted("divergence", "loss")),
        CorpusRun(keras, "corpus", "keras-nan", Planted("nan_inf", "loss")),
        CorpusRun(keras, "corpus", "keras-overfit", Planted("overfitting", "val_loss")),
        CorpusRun(keras, "corpus", "keras-val-never-improves", Planted("plateau", "val_loss")),
        CorpusRun(text, "trained", "shakespeare-char-lr-too-high", Planted("divergence", "loss")),
        CorpusRun(text, "corpus", "char-lr-too-high", Planted("divergence", "loss")),
        CorpusRun(text, "corpus", "char-warmup-too-high", Planted("divergence", "loss")),
    ]
    return healthy + problems


CORPUS: dict[str, CorpusRun] = {r.name: r for r in _runs()}
HEALTHY = sorted(name for name, r in CORPUS.items() if r.planted is None)
PROBLEMS = sorted(name for name, r in CORPUS.items() if r.planted is not None)


def load(entry: CorpusRun) -> Run:
    """The run as Runwise reads it from the folder the framework wrote (read only, never written)."""
    return SOURCES[entry.framework](framework_runs(entry.framework) / entry.folder).load_run(entry.run_id)


def serious(found: tuple[Anomaly, ...]) -> list[Anomaly]:
    return [a for a in found if a.severity != "info"]


def finds(found: tuple[Anomaly, ...], planted: Planted, run: Run) -> bool:
    """A warning or critical finding of the planted kind, on its metric, with its onset inside the window."""
    lo, hi = planted.window(run)
    return any(
        a.kind == planted.kind and a.metric == planted.metric and lo <= a.start_step <= hi for a in serious(found)
    )


def main() -> None:
    """Print every run's findings, then recall and false alarms."""
    from runwise.domain.analysis import detect_anomalies

    found_count = false_alarms = 0
    for name, entry in CORPUS.items():
        run = load(entry)
        found = detect_anomalies(run)
        planted = entry.planted
        label = "healthy" if planted is None else f"planted {planted.kind} on {planted.metric} at {planted.onset(run)}"
        print(f"{name}: {label}")
        for a in found:
            print(f"   {a.severity:8} {a.kind:18} {a.message}")
        if planted is None:
            false_alarms += bool(serious(found))
        else:
            found_count += finds(found, planted, run)
    print(f"\nrecall {found_count}/{len(PROBLEMS)} planted problems (right kind, metric and onset)")
    print(f"false alarms {false_alarms}/{len(HEALTHY)} healthy runs (any warning or critical)")


if __name__ == "__main__":
    main()
