"""The short-run corpus: epoch-level runs really trained, written as JSON lines with the key names of Keras,
Lightning, Hugging Face and Ultralytics, and read back by the real JSONL source.

Each planted problem carries its kind, metric and true onset, defined from the training trace (the validation
best, the first validation point, the burst epoch, the first large swing, the epoch from which the loss stayed
above its best), never from the detectors. The healthy runs are noisy on purpose: small validation sets, per-batch
losses of small batches, sessions appended to one file, loss terms logged as 0 throughout.

`python -m tests.unit.analysis.short.corpus` prints what the detectors find on every run, and the recall and false
alarms.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from runwise.adapters.sources.jsonl.source import JsonlRunSource
from runwise.domain.model import Run
from tests.unit.analysis.short.trainer import CONVENTIONS, EpochConfig, EpochTrace, rows_for, train_epochs, write_jsonl


@dataclass(frozen=True)
class Truth:
    """A planted problem: its kind, the metric it shows on, and its true onset step."""

    kind: str
    metric: str
    step: int


@dataclass
class ShortCase:
    name: str
    run: Run
    truths: list[Truth] = field(default_factory=list)
    points: int = 0  # epochs logged: the onset tolerance is one epoch

    @property
    def healthy(self) -> bool:
        return not self.truths


def _const(value: float) -> Callable[[int], float]:
    return lambda epoch: value


def _cosine(peak: float, epochs: int) -> Callable[[int], float]:
    return lambda epoch: peak * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def _step_of(trace: EpochTrace, convention: str, epoch: int) -> int:
    """The logged step of an epoch's row: the epoch itself when the framework logs no step (Keras, Ultralytics)."""
    return int(trace.epoch_rows[epoch]["step"]) if CONVENTIONS[convention].get("step") else epoch


def _val_epochs(trace: EpochTrace) -> list[int]:
    return [int(r["epoch"]) for r in trace.epoch_rows if "val_loss" in r]


def _val(trace: EpochTrace) -> np.ndarray:
    return np.array([r["val_loss"] for r in trace.epoch_rows if "val_loss" in r])


def no_truths(trace: EpochTrace, convention: str) -> list[Truth]:
    """A healthy run: nothing planted."""
    return []


@dataclass
class Plan:
    """One run to train and write: its config, naming convention and how to find its truths."""

    cfg: EpochConfig
    convention: str
    truths: Callable[[EpochTrace, str], list[Truth]] = no_truths
    batches: bool = False
    sessions: tuple[EpochConfig, ...] = ()  # further sessions appended to the same file (epoch counter restarts)


def _overfit(trace: EpochTrace, conv: str) -> list[Truth]:
    best = _val_epochs(trace)[int(np.argmin(_val(trace)))]
    return [Truth("overfitting", CONVENTIONS[conv]["val_loss"] or "", _step_of(trace, conv, best))]


def _never(trace: EpochTrace, conv: str) -> list[Truth]:
    return [Truth("plateau", CONVENTIONS[conv]["val_loss"] or "", _step_of(trace, conv, _val_epochs(trace)[0]))]


def _burst(epoch: int) -> Callable[[EpochTrace, str], list[Truth]]:
    return lambda trace, conv: [Truth("loss_spike", CONVENTIONS[conv]["val_loss"] or "", _step_of(trace, conv, epoch))]


def _swing(trace: EpochTrace, conv: str) -> list[Truth]:
    """The point from which validation first rose 1.5× or more from one evaluation to the next."""
    val, epochs = _val(trace), _val_epochs(trace)
    first = int(np.flatnonzero(val[1:] >= 1.5 * val[:-1])[0])
    return [Truth("instability", CONVENTIONS[conv]["val_loss"] or "", _step_of(trace, conv, epochs[first]))]


def _diverged(trace: EpochTrace, conv: str) -> list[Truth]:
    """The epoch from which the training loss stayed 1.5× or more above its best before it."""
    loss = np.array([r["loss"] for r in trace.epoch_rows])
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(loss)[:-1]])
    calm = np.flatnonzero(loss < 1.5 * best_before)
    return [Truth("divergence", CONVENTIONS[conv]["loss"] or "", _step_of(trace, conv, int(calm[-1]) + 1))]


def _stopped(trace: EpochTrace, conv: str) -> list[Truth]:
    """The validation best: validation was flat (or crept up) from there while training went on. Said either
    way is right: validation that stopped improving, or overfitting when the creep is significant."""
    best = _val_epochs(trace)[int(np.argmin(_val(trace)))]
    return [Truth("plateau|overfitting", CONVENTIONS[conv]["val_loss"] or "", _step_of(trace, conv, best))]


def plans() -> dict[str, Plan]:
    E = EpochConfig
    problems = {
        "overfit-6-evals": Plan(
            E("overfit-6-evals", 30, _const(0.1), hidden=128, batch=8, train_size=80, label_noise=0.3, val_every=6),
            "keras", _overfit,
        ),
        "overfit-hf": Plan(
            E("overfit-hf", 24, _const(0.06), hidden=128, batch=8, train_size=80, label_noise=0.3, seed=5),
            "hf", _overfit,
        ),
        "val-never-improves": Plan(E("val-never-improves", 30, _const(0.1), hidden=64, val_input_scale=0.0),
                                   "lightning", _never),
        "val-never-improves-keras": Plan(
            E("val-never-improves-keras", 12, _const(0.05), val_input_scale=0.0, seed=2), "keras", _never
        ),
        "val-burst-25x": Plan(E("val-burst-25x", 15, _const(0.05), burst_epoch=6, burst_scale=12.0), "hf", _burst(6)),
        "val-burst-yolo": Plan(
            E("val-burst-yolo", 20, _const(0.05), burst_epoch=9, burst_scale=14.0, val_size=200, seed=5),
            "yolo", _burst(9),
        ),
        "val-swings": Plan(E("val-swings", 10, _const(0.5), seed=1), "keras", _swing),
        "val-swings-lightning": Plan(E("val-swings-lightning", 10, _const(0.5), seed=0), "lightning", _swing),
        "val-stops-improving": Plan(E("val-stops-improving", 30, _const(0.1), hidden=64, train_size=150, seed=1), "lightning",
                                    _stopped),
        "short-divergence": Plan(E("short-divergence", 10, _const(0.6), seed=1), "keras", _diverged),
    }  # fmt: skip
    healthy = {
        "keras-small-val-1": Plan(E("keras-small-val-1", 30, _const(0.05), val_size=60, seed=1), "keras"),
        "keras-small-val-2": Plan(E("keras-small-val-2", 30, _const(0.05), val_size=60, seed=2), "keras"),
        "lightning-batches-2": Plan(
            E("lightning-batches-2", 8, _const(0.05), batch=8, log_batches=True, val_size=80, seed=2),
            "lightning", batches=True,
        ),
        "lightning-batches-3": Plan(
            E("lightning-batches-3", 6, _const(0.03), batch=4, log_batches=True, val_size=80, seed=3),
            "lightning", batches=True,
        ),
        "hf-epochs-4": Plan(E("hf-epochs-4", 10, _cosine(0.05, 10), val_size=100, seed=4), "hf"),
        "hf-3-evals": Plan(E("hf-3-evals", 3, _const(0.05), val_size=100, seed=5), "hf"),
        "yolo-cosine": Plan(E("yolo-cosine", 40, _cosine(0.05, 40), val_size=100, seed=3), "yolo"),
        "keras-appended-sessions": Plan(
            E("keras-appended-sessions", 12, _const(0.05), val_size=100, seed=6), "keras",
            sessions=(E("session-2", 20, _const(0.05), val_size=100, seed=7),
                      E("session-3", 8, _const(0.02), val_size=100, seed=8)),
        ),
        "keras-5-epochs": Plan(E("keras-5-epochs", 5, _const(0.05), val_size=100, seed=8), "keras"),
        "lightning-cosine": Plan(E("lightning-cosine", 20, _cosine(0.08, 20), val_size=100, seed=9), "lightning"),
        "keras-sparse-evals": Plan(E("keras-sparse-evals", 24, _const(0.05), val_size=80, val_every=5, seed=10),
                                   "keras"),
        "hf-small-batches": Plan(E("hf-small-batches", 12, _const(0.02), batch=4, val_size=60, seed=11), "hf"),
    }  # fmt: skip
    return {**problems, **healthy}


class Corpus(dict[str, ShortCase]):
    """The cases by name; shown briefly (a failing property test prints its arguments)."""

    def __repr__(self) -> str:
        return f"<short-run corpus of {len(self)} runs>"


def build(folder: Path) -> Corpus:
    """Train every planned run, write it as JSON lines under `folder` and read it back with the JSONL source."""
    cases = Corpus()
    for name, plan in plans().items():
        trace = train_epochs(plan.cfg)
        rows = rows_for(trace, plan.convention, batches=plan.batches)
        for extra in plan.sessions:
            rows += rows_for(train_epochs(extra), plan.convention)
        write_jsonl(folder / f"{name}.jsonl", rows)
        truths = plan.truths(trace, plan.convention)
        cases[name] = ShortCase(name, JsonlRunSource(folder).load_run(name), truths, len(trace.epoch_rows))
    return cases


def main() -> None:
    """Print every run's findings, then recall and false alarms."""
    from runwise.domain.analysis import detect_anomalies

    with tempfile.TemporaryDirectory() as tmp:
        cases = build(Path(tmp))
    found_truths = total_truths = false_alarms = healthy = 0
    for case in cases.values():
        anomalies = detect_anomalies(case.run)
        serious = [a for a in anomalies if a.severity != "info"]
        print(f"{case.name}: {'healthy' if case.healthy else 'planted ' + ', '.join(t.kind for t in case.truths)}")
        for a in anomalies:
            print(f"   {a.severity:8} {a.kind:18} {a.message}")
        if case.healthy:
            healthy += 1
            false_alarms += bool(serious)
        for truth in case.truths:
            total_truths += 1
            found_truths += any(matches(a, truth, case) for a in serious)
    print(f"\nrecall {found_truths}/{total_truths} planted problems (right kind, metric and onset)")
    print(f"false alarms {false_alarms}/{healthy} healthy runs (any warning or critical)")


def matches(a: object, truth: Truth, case: ShortCase) -> bool:
    """Right kind and metric, onset within one logged point of the truth."""
    from runwise.domain.anomaly import Anomaly

    assert isinstance(a, Anomaly)
    if a.kind not in truth.kind.split("|") or a.metric != truth.metric:
        return False
    steps = np.unique(np.concatenate([s.steps for s in case.run.series.values() if s.key == truth.metric]))
    i = int(np.searchsorted(steps, truth.step))
    lo = steps[max(0, i - 1)]
    hi = steps[min(steps.size - 1, i + 1)]
    return bool(lo <= a.start_step <= hi)


if __name__ == "__main__":
    main()
