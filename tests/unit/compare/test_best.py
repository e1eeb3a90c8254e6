"""Best run over a real sweep, checked against numpy on the raw training logs."""

from __future__ import annotations

import numpy as np
import pytest

from runwise.domain.compare import best_run
from runwise.domain.errors import InvalidInput, MetricNotFound, RunNotFound
from runwise.domain.roles import Role
from runwise.services.catalog import Catalog
from runwise.services.compare import find_best_run
from tests.unit.compare.sweep import Trained


def test_best_final_val_acc_direction_inferred(catalog: Catalog, sweep: list[Trained]) -> None:
    expected = max(sweep, key=lambda t: t.val_acc[-1])
    result = find_best_run(catalog, "val/acc")
    assert result.higher_is_better is True and result.direction_inferred
    assert result.role is Role.VAL_ACCURACY
    assert result.winner.info.name == expected.name
    assert result.winner.value == pytest.approx(expected.val_acc[-1])
    assert result.winner.step == 299
    assert [r.info.name for r in result.ranking] == [t.name for t in sorted(sweep, key=lambda t: -t.val_acc[-1])]


def test_best_val_loss_is_the_lowest(catalog: Catalog, sweep: list[Trained]) -> None:
    expected = min(sweep, key=lambda t: t.val_loss[-1])
    result = find_best_run(catalog, "val/loss")
    assert result.higher_is_better is False
    assert result.winner.info.name == expected.name
    assert result.winner.value == pytest.approx(expected.val_loss[-1])


def test_best_mode_uses_the_best_value_reached(catalog: Catalog, sweep: list[Trained]) -> None:
    expected = min(sweep, key=lambda t: t.train_loss.min())
    result = find_best_run(catalog, "train/loss", mode="best")
    assert result.winner.info.name == expected.name
    assert result.winner.value == pytest.approx(expected.train_loss.min())
    assert result.winner.step == int(np.argmin(expected.train_loss))


def test_explicit_direction_overrides_the_role(catalog: Catalog, sweep: list[Trained]) -> None:
    worst = min(sweep, key=lambda t: t.val_acc[-1])
    assert find_best_run(catalog, "val/acc", direction="min").winner.info.name == worst.name
    assert find_best_run(catalog, "val/acc", direction=False).winner.info.name == worst.name
    assert not find_best_run(catalog, "val/acc", direction="min").direction_inferred


def test_where_restricts_the_candidates(catalog: Catalog, sweep: list[Trained]) -> None:
    pool = [t for t in sweep if t.lr < 0.5]
    expected = max(pool, key=lambda t: t.val_acc[-1])
    result = find_best_run(catalog, "val/acc", where="config.optimizer.lr < 0.5")
    assert result.winner.info.name == expected.name
    assert {r.info.name for r in result.ranking} == {t.name for t in pool}


def test_where_matching_nothing_says_so(catalog: Catalog) -> None:
    with pytest.raises(RunNotFound, match="no runs match"):
        find_best_run(catalog, "val/acc", where="config.optimizer.lr > 10")


def test_metric_without_direction_needs_max_or_min(catalog: Catalog, sweep: list[Trained]) -> None:
    with pytest.raises(InvalidInput, match=r"higher or lower 'train/lr'") as caught:
        find_best_run(catalog, "train/lr")
    assert "--max" not in str(caught.value)  # the core names the parameter; each interface spells it
    assert str(caught.value).endswith("pass direction='max' or direction='min', or set it in the metric schema")
    assert find_best_run(catalog, "train/lr", direction="max").winner.value == max(t.lr for t in sweep)


def test_unknown_metric_suggests_close_keys(catalog: Catalog) -> None:
    with pytest.raises(MetricNotFound, match="did you mean val/acc"):
        find_best_run(catalog, "val/accuracy")


def test_bad_direction_is_rejected(catalog: Catalog) -> None:
    with pytest.raises(InvalidInput, match="unknown direction"):
        find_best_run(catalog, "val/acc", direction="up")  # type: ignore[arg-type]


def test_nonfinite_runs_are_skipped_with_a_reason(sweep_runs) -> None:
    import attrs

    from runwise.domain.model import MetricSeries

    diverged = attrs.evolve(
        sweep_runs[0],
        info=attrs.evolve(sweep_runs[0].info, id="diverged", name="diverged"),
        series={"val/loss": MetricSeries("val/loss", [0, 1], [float("nan"), float("inf")])},
    )
    result = best_run([*sweep_runs, diverged], "val/loss")
    assert ("diverged", "has no finite value") in result.skipped
    no_key = attrs.evolve(diverged, series={})
    assert ("diverged", "does not log it") in best_run([*sweep_runs, no_key], "val/loss").skipped


def test_last_mode_ranks_a_trailing_nan_after_every_scored_run(sweep_runs) -> None:
    import attrs

    from runwise.domain.model import MetricSeries

    run = attrs.evolve(
        sweep_runs[0], series={"val/acc": MetricSeries("val/acc", [0, 10, 20], [0.5, 0.99, float("nan")])}
    )
    result = best_run([run, *sweep_runs[1:]], "val/acc")
    assert run.info.name not in [r.info.name for r in result.ranking]  # 0.99 is from before it broke
    assert (run.info.name, "ends in NaN at step 20") in result.skipped
    by_best = best_run([run, *sweep_runs[1:]], "val/acc", mode="best")  # the best it reached is still a fact
    assert by_best.winner.info.name == run.info.name and by_best.winner.step == 10


def test_unreadable_run_is_skipped_with_its_read_error(sweep_runs) -> None:
    from runwise.adapters.sources.memory import InMemoryRunSource

    class Flaky(InMemoryRunSource):
        def load_run(self, run_id: str):
            if run_id == "lr0.5-s0":
                raise InvalidInput("cannot read lr0.5-s0.jsonl")
            return super().load_run(run_id)

    result = find_best_run(Catalog([Flaky(sweep_runs)]), "val/acc")
    assert result.winner.info.name != "lr0.5-s0"
    assert [s for s in result.skipped if s[0] == "lr0.5-s0"] == [("lr0.5-s0", "cannot read lr0.5-s0.jsonl")]
