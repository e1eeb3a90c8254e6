"""The RunSource contract: every adapter, seeded by its real library, must pass all of this."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from runwise.adapters.fs import RealPathResolver
from runwise.domain.errors import MetricNotFound, RunNotFound
from runwise.services.catalog import Catalog
from tests.contract.spec import Seeded, standard_specs


@pytest.fixture
def seeded(seeder: ModuleType, tmp_path: Path) -> Seeded:
    return seeder.seed(standard_specs(), tmp_path)  # type: ignore[no-any-return]


def _catalog(seeded: Seeded) -> Catalog:
    return Catalog([seeded.source], path_resolver=RealPathResolver())


def test_discovery_lists_every_run(seeded: Seeded) -> None:
    infos = seeded.source.list_runs()
    assert sorted(i.id for i in infos) == sorted(seeded.ids.values())
    assert {i.name for i in infos} >= {"alpha-lr0.1", "beta-lr0.01"} or all(i.name for i in infos)
    assert all(i.source == seeded.source.name for i in infos)


def test_list_runs_respects_limit(seeded: Seeded) -> None:
    assert len(seeded.source.list_runs(limit=1)) == 1


def test_series_equal_what_was_logged(seeded: Seeded) -> None:
    for spec in standard_specs():
        run = seeded.source.load_run(seeded.ids[spec.name])
        for key, expected in spec.series.items():
            got = run.series[key]
            assert got.steps.dtype == np.int64 and got.values.dtype == np.float64
            np.testing.assert_array_equal(got.steps, np.array(expected.steps, dtype=np.int64), err_msg=key)
            np.testing.assert_allclose(got.values, np.array(expected.values), rtol=1e-6, err_msg=key)


def test_nan_and_infinities_are_kept(seeded: Seeded) -> None:
    loss = seeded.source.load_run(seeded.ids["alpha-lr0.1"]).series["train/loss"]
    at = {int(s): v for s, v in zip(loss.steps, loss.values)}
    assert np.isnan(at[120]) and at[121] == np.inf and at[122] == -np.inf


def test_sparse_keys_keep_their_own_steps(seeded: Seeded) -> None:
    run = seeded.source.load_run(seeded.ids["alpha-lr0.1"])
    assert run.series["val/loss"].steps.tolist() == [0, 50, 100, 150]
    assert len(run.series["train/loss"]) == 200


def test_config_is_read(seeded: Seeded) -> None:
    run = seeded.source.load_run(seeded.ids["alpha-lr0.1"])
    assert run.config.get("lr") == pytest.approx(0.1)


def test_load_series_by_keys(seeded: Seeded) -> None:
    series = seeded.source.load_series(seeded.ids["alpha-lr0.1"], ["val/loss"])
    assert list(series) == ["val/loss"]
    with pytest.raises(MetricNotFound):
        seeded.source.load_series(seeded.ids["alpha-lr0.1"], ["no/such/key"])


def test_unknown_run_raises_run_not_found(seeded: Seeded) -> None:
    with pytest.raises(RunNotFound):
        seeded.source.load_run("no-such-run-anywhere")
    with pytest.raises(RunNotFound, match="no run matches"):
        _catalog(seeded).resolve("no-such-run-anywhere")


def test_every_ref_form_resolves(seeded: Seeded) -> None:
    catalog = _catalog(seeded)
    alpha_id = seeded.ids["alpha-lr0.1"]
    name = seeded.source.load_run(alpha_id).info.name
    for ref in (alpha_id, f"{seeded.source.name}:{alpha_id}", name, name[:5]):
        assert catalog.resolve(ref)[1].id == alpha_id, ref
    if seeded.paths:
        assert catalog.resolve(str(seeded.paths["alpha-lr0.1"]))[1].id == alpha_id
    loaded = catalog.load(f"{alpha_id}@75")
    assert loaded.step == 50 or loaded.step == 75
    assert loaded.run.series["val/loss"].steps.tolist() == [0, 50]


def test_latest_is_the_most_recently_updated(seeded: Seeded) -> None:
    infos = seeded.source.list_runs()
    newest = max(infos, key=lambda i: i.updated_at or 0.0)
    assert _catalog(seeded).resolve("latest")[1].id == newest.id


def test_fingerprint_is_stable_for_unchanged_runs(seeded: Seeded) -> None:
    run_id = seeded.ids["beta-lr0.01"]
    assert seeded.source.fingerprint(run_id) == seeded.source.fingerprint(run_id)


def test_empty_log_is_not_fatal(empty_seeder: ModuleType, tmp_path: Path) -> None:
    source = empty_seeder.seed_empty(tmp_path)
    for info in source.list_runs():
        run = source.load_run(info.id)
        assert all(len(s) == 0 for s in run.series.values())


def test_truncated_tail_reads_up_to_last_whole_record(truncating_seeder: ModuleType, tmp_path: Path) -> None:
    seeded = truncating_seeder.seed(standard_specs(), tmp_path)
    truncating_seeder.truncate_tail(seeded, "beta-lr0.01")
    run = seeded.source.load_run(seeded.ids["beta-lr0.01"])
    loss = run.series["train/loss"]
    assert 0 < len(loss) <= 100
    expected = [3.0 - s * 0.01 for s in loss.steps]
    np.testing.assert_allclose(loss.values, expected, rtol=1e-6)
