"""A metric that ends in NaN/Inf has no valid last value: no rank, no final, no trend, no noise verdict from it."""

from __future__ import annotations

import numpy as np

from runwise.adapters.renderers.tabular import TextRenderer
from runwise.domain.aggregate import aggregate
from runwise.domain.analysis import stability
from runwise.domain.budget import render_sections
from runwise.domain.compare import best_run
from runwise.domain.model import MetricSeries, RunInfo
from runwise.domain.series import nonfinite_tail, trend
from runwise.domain.summary import digest
from tests.helpers import make_run

NAN, INF = float("nan"), float("inf")


def _broken(n_bad: int = 1500) -> MetricSeries:
    good = np.linspace(2.0, 20.0, 500)
    return MetricSeries("train/loss", np.arange(500 + n_bad), np.concatenate([good, [NAN] * n_bad]))


def test_nonfinite_tail_names_the_ending_and_its_first_step() -> None:
    assert nonfinite_tail(_broken()) == ("NaN", 500)
    assert nonfinite_tail(MetricSeries("x", [0, 1, 2], [1.0, NAN, INF])) == ("Inf", 1)
    assert nonfinite_tail(MetricSeries("x", [0, 1, 2], [NAN, 1.0, 2.0])) is None


def test_trend_of_a_nan_ending_is_its_own_marker() -> None:
    assert trend(_broken()) == "×"
    assert digest(_broken()).trend == "×"


def test_best_by_last_value_skips_a_nan_ending_with_its_step() -> None:
    healthy = make_run("ok", val__loss=[1.0, 0.5, 0.4])
    broken = make_run("blown", val__loss=[1.0, 0.2, NAN])  # 0.2 would win on its stale last finite value
    result = best_run([broken, healthy], "val/loss")
    assert [r.info.name for r in result.ranking] == ["ok"]
    assert result.skipped == (("blown", "ends in NaN at step 2"),)


def test_aggregate_has_no_final_for_a_nan_ending_and_says_why() -> None:
    runs = [
        make_run("a", config={"lr": 0.1, "seed": 0}, val__loss=[1.0, 0.5, 0.4]),
        make_run("b", config={"lr": 0.1, "seed": 1}, val__loss=[1.0, 0.1, NAN]),
    ]
    group = aggregate(runs, "val/loss").groups[0]
    assert group.final is not None and group.final.n == 1 and group.final.mean == 0.4
    assert group.missing == ("b",) and group.notes == ("b ends in NaN at step 2",)
    assert group.best is not None and group.best.n == 2  # the best it reached is still a fact
    member = next(m for m in group.members if m.info.name == "b")
    assert member.trailing is None  # no trailing window from before the blow-up


def test_stability_of_a_nan_ending_says_so_instead_of_noisy() -> None:
    st = stability(_broken())
    assert st.label == "ends in NaN" and st.broken_at == 500 and st.nonfinite == 1500
    text = render_sections(TextRenderer().stability_sections(RunInfo("r", "r", "memory"), [st]))
    assert "ends in NaN" in text and "1,500 (from 500)" in text
