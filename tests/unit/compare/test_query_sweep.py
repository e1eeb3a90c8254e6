"""`query_runs` over the trained sweep: results, sorting, laziness, pushdown to capable sources."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.domain.errors import InvalidInput
from runwise.domain.model import RunInfo
from runwise.domain.query import Pushdown, QueryError
from runwise.services.catalog import Catalog
from runwise.services.query import query_runs
from tests.unit.compare.sweep import Trained


def names(result) -> set[str]:
    return {m.info.name for m in result.matches}


@pytest.mark.parametrize("threshold", [0.85, 0.9, 0.92, 0.94])
def test_percent_query_matches_numpy(catalog: Catalog, sweep: list[Trained], threshold: float) -> None:
    expected = {t.name for t in sweep if t.val_acc[-1] > threshold}
    assert names(query_runs(catalog, f"val/acc > {threshold * 100:g}%")) == expected
    assert names(query_runs(catalog, f"val/acc > {threshold}")) == expected


def test_combined_query(catalog: Catalog, sweep: list[Trained]) -> None:
    expected = {t.name for t in sweep if (t.val_loss.min() < 0.7 and t.lr != 0.5) or (t.seed == 2 and t.lr == 0.02)}
    result = query_runs(
        catalog,
        "best(val/loss) < 0.7 and config.optimizer.lr != 0.5 or (config.seed == 2 and config.optimizer.lr == 0.02)",
    )
    assert names(result) == expected


def test_statistics_match_numpy(catalog: Catalog, sweep: list[Trained]) -> None:
    cut = float(np.median([t.train_loss.mean() for t in sweep]))
    assert names(query_runs(catalog, f"mean(train/loss) < {cut!r}")) == {
        t.name for t in sweep if t.train_loss.mean() < cut
    }
    cut = float(np.median([t.train_loss.max() for t in sweep]))
    assert names(query_runs(catalog, f"max(train/loss) >= {cut!r}")) == {
        t.name for t in sweep if t.train_loss.max() >= cut
    }


def test_sort_and_limit(catalog: Catalog, sweep: list[Trained]) -> None:
    top = sorted(sweep, key=lambda t: -t.val_acc[-1])[:3]
    result = query_runs(catalog, "state == 'finished'", sort="-val/acc", limit=3)
    assert [m.info.name for m in result.matches] == [t.name for t in top]
    assert result.matched == len(sweep) and result.descending
    assert dict(result.matches[0].values)["val/acc"] == pytest.approx(top[0].val_acc[-1])
    asc = query_runs(catalog, "steps > 0", sort="best(val/loss) asc", limit=2)
    assert [m.info.name for m in asc.matches] == [t.name for t in sorted(sweep, key=lambda t: t.val_loss.min())[:2]]
    by_name = query_runs(catalog, "steps > 0", sort="name desc")
    assert [m.info.name for m in by_name.matches] == sorted((t.name for t in sweep), reverse=True)


def test_matches_carry_the_values_the_query_read(catalog: Catalog, by_name: dict[str, Trained]) -> None:
    result = query_runs(catalog, "name == 'lr0.1-s0' and config.optimizer.lr > 0 and best(val/loss) > 0")
    (match,) = result.matches
    values = dict(match.values)
    assert values["name"] == "lr0.1-s0" and values["config.optimizer.lr"] == 0.1
    assert values["best(val/loss)"] == pytest.approx(by_name["lr0.1-s0"].val_loss.min())


def test_field_queries_load_nothing(catalog: Catalog, sweep: list[Trained]) -> None:
    result = query_runs(catalog, "tags contains 'seed1' and project == 'digits'")
    assert names(result) == {t.name for t in sweep if t.seed == 1}
    assert result.loaded == 0 and result.scanned == len(sweep)
    lazy = query_runs(catalog, "tags contains 'seed1' and val/acc > 0")
    assert lazy.loaded == sum(t.seed == 1 for t in sweep)  # only the runs that passed the cheap test


def test_unknown_metric_is_reported(catalog: Catalog) -> None:
    result = query_runs(catalog, "val/accuracy > 0.5")
    assert result.matches == () and result.unknown_metrics == ("val/accuracy",)


def test_errors_surface_as_query_errors(catalog: Catalog) -> None:
    with pytest.raises(QueryError, match="column 11"):
        query_runs(catalog, "val/acc > and")
    with pytest.raises(QueryError, match="best\\(train/lr\\) needs a metric with a direction"):
        query_runs(catalog, "best(train/lr) > 0")
    with pytest.raises(QueryError, match="in sort: "):  # the parameter by name; each interface spells it
        query_runs(catalog, "steps > 0", sort="val/acc >")
    with pytest.raises(InvalidInput, match="limit"):
        query_runs(catalog, "steps > 0", limit=0)


class SearchableSource(InMemoryRunSource):
    """A fake tracking server: filters by state on its side, and records the pushdown it was given."""

    def __init__(self, runs, name: str = "memory") -> None:
        super().__init__(runs, name)
        self.pushed: list[Pushdown] = []

    def search_runs(self, pushdown: Pushdown, *, project: str | None = None) -> Sequence[RunInfo]:
        self.pushed.append(pushdown)
        infos = self.list_runs(project=project)
        for cond in pushdown.conditions:
            if cond.target == "state" and cond.op == "==":
                infos = [i for i in infos if i.state == cond.value]
        return infos


def test_pushdown_goes_to_sources_that_can_search(sweep_runs, sweep: list[Trained]) -> None:
    import attrs

    crashed = attrs.evolve(sweep_runs[0], info=attrs.evolve(sweep_runs[0].info, id="x", name="x", state="crashed"))
    source = SearchableSource([*sweep_runs, crashed])
    result = query_runs(Catalog([source]), "state == 'finished' and config.optimizer.lr == 0.5 and val/acc > 0")
    (pushed,) = source.pushed
    assert [(c.target, c.op, c.value) for c in pushed.conditions] == [
        ("state", "==", "finished"),
        ("optimizer.lr", "==", 0.5),
    ]
    assert names(result) == {t.name for t in sweep if t.lr == 0.5}
    assert result.pushdown == pushed


class FlakySource(InMemoryRunSource):
    """One run's files cannot be read (deleted or corrupt after listing)."""

    def load_run(self, run_id: str):
        if run_id == "lr0.1-s0":
            raise InvalidInput("cannot read lr0.1-s0.jsonl: permission denied")
        return super().load_run(run_id)


def test_an_unreadable_run_does_not_fail_the_query(sweep_runs, sweep: list[Trained]) -> None:
    result = query_runs(Catalog([FlakySource(sweep_runs)]), "val/acc > 0")
    assert names(result) == {t.name for t in sweep} - {"lr0.1-s0"}
    assert result.errors == (("lr0.1-s0", "cannot read lr0.1-s0.jsonl: permission denied"),)
