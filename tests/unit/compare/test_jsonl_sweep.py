"""The same sweep written as JSONL files and read back by JsonlRunSource gives the same answers."""

from __future__ import annotations

import numpy as np
import pytest

from runwise.services.catalog import Catalog
from runwise.services.compare import aggregate_runs, compare_runs, find_best_run
from runwise.services.query import query_runs
from tests.unit.compare.sweep import Trained


def test_jsonl_best_run(jsonl_catalog: Catalog, sweep: list[Trained]) -> None:
    expected = max(sweep, key=lambda t: t.val_acc[-1])
    result = find_best_run(jsonl_catalog, "val/acc", where="config.optimizer.name == 'sgd'")
    assert result.winner.info.name == expected.name
    assert result.winner.value == pytest.approx(expected.val_acc[-1])


def test_jsonl_query(jsonl_catalog: Catalog, sweep: list[Trained]) -> None:
    result = query_runs(jsonl_catalog, "val/acc >= 90% and config.seed != 1", sort="-best(val/acc)")
    newest_first = list(reversed(sweep))  # ties (equal best accuracy) keep the catalog's newest-first order
    expected = sorted((t for t in newest_first if t.val_acc[-1] >= 0.9 and t.seed != 1), key=lambda t: -t.val_acc.max())
    assert [m.info.name for m in result.matches] == [t.name for t in expected]


def test_jsonl_step_matched_comparison(jsonl_catalog: Catalog, by_name: dict[str, Trained]) -> None:
    result = compare_runs(jsonl_catalog, ["lr0.02-s1@230", "lr0.5-s1@230"], filter="val/*", config_diff=True)
    assert {k.key for k in result.keys} == {"val/acc", "val/loss"}
    acc = result.key("val/acc")
    assert acc.steps == (220, 225)
    a, b = by_name["lr0.02-s1"], by_name["lr0.5-s1"]
    assert acc.values[0].value == pytest.approx(a.val_acc[a.val_steps == 220][0])
    assert acc.values[1].value == pytest.approx(b.val_acc[b.val_steps == 225][0])
    assert result.config_diff is not None
    assert [e.key for e in result.config_diff.entries] == ["optimizer.lr"]


def test_jsonl_aggregation(jsonl_catalog: Catalog, sweep: list[Trained]) -> None:
    result = aggregate_runs(jsonl_catalog, metric="val/loss")
    assert len(result.groups) == 3
    best = result.groups[0]
    lr = dict(best.config)["optimizer.lr"]
    data = np.array([t.val_loss[-1] for t in sweep if t.lr == lr])
    assert best.final.mean == pytest.approx(data.mean()) and best.final.std == pytest.approx(data.std(ddof=1))
