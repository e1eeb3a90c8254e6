"""The W&B cloud source against a fake at the `wandb.Api` boundary.

The W&B cloud cannot be reached from here (no network, no API key), so these tests do NOT talk to
W&B. The fake below stands in for `wandb.Api` and returns the shapes wandb 0.31's public API
returns (`wandb/apis/public/api.py` and `runs.py`): `Api.runs(path, filters, order, per_page)`
yields Run objects whose `id`, `name`, `state`, `created_at`/`heartbeat_at` (ISO strings without a
zone), `tags`, `notes`, `commit`, `config`, `summary_metrics` and `history_keys` (`{"keys": {name:
{"typeCounts": [...]}}, "lastStep": N}`) mirror the real attributes; `run.history(samples, keys,
pandas=False)` returns a list of row dicts with `_step`, sampled and restricted to rows holding
every requested key, and `run.scan_history(keys, page_size)` yields every row. The fake records
each call so the tests can check that filters, ordering and sampling are pushed to the server.
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runwise.adapters.sources.wandb_api import WandbApiRunSource, parse_uri
from runwise.domain.errors import InvalidInput, MetricNotFound, MissingExtra, RunNotFound, RunwiseError
from runwise.domain.schema import MetricSchema


class RunNotFoundError(ValueError):
    """Same name as wandb.apis.public.runs.RunNotFoundError."""


class FakeRun:
    def __init__(self, run_id: str, name: str, *, state: str, loss_end: float, steps: int = 100, **extra: Any) -> None:
        self.id, self.name, self.state = run_id, name, state
        self.project, self.entity = "proj", "ent"
        self.created_at = extra.get("created_at", "2024-05-01T12:00:00")
        self.heartbeat_at = extra.get("heartbeat_at", "2024-05-01T13:00:00")
        self.tags = extra.get("tags", ["baseline"])
        self.notes = extra.get("notes", "")
        self.commit = extra.get("commit", "abc123")
        self.config = {"lr": 0.01, "_wandb": {"cli_version": "0.31.0"}}
        self.rows = []
        for s in range(steps):
            row: dict[str, Any] = {"_step": s, "_timestamp": 1714564800.0 + s, "_runtime": float(s)}
            row["loss"] = "NaN" if s == 7 else loss_end + (steps - s) * 0.01
            if s % 10 == 0:
                row["val/loss"] = 2.0 - s * 0.01
            if s % 50 == 0:
                row["samples"] = {"_type": "image-file", "path": "media/x.png"}
            self.rows.append(row)
        self.summary_metrics = {
            "loss": loss_end,
            "val/loss": 2.0 - (steps - 10) * 0.01,
            "_runtime": float(steps - 1),
            "_wandb": {"runtime": steps},
            "eval": {"acc": 0.9},
            "samples": {"_type": "image-file"},
        }
        number = [{"type": "number", "count": steps}]
        self.history_keys = {
            "keys": {"loss": {"typeCounts": number}, "val/loss": {"typeCounts": number}, "_step": {"typeCounts": number},
                     "samples": {"typeCounts": [{"type": "image-file", "count": 2}]}},
            "lastStep": steps - 1,
        }  # fmt: skip
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def history(self, samples: int = 500, keys: list[str] | None = None, x_axis: str = "_step", pandas: bool = True,
                stream: str = "default") -> list[dict[str, Any]]:  # fmt: skip
        assert not pandas, "Runwise must ask for plain rows"
        self.calls.append(("history", {"samples": samples, "keys": keys}))
        rows = [r for r in self.rows if all(k in r for k in keys or [])]
        if len(rows) > samples:  # the server keeps an even spread, first and last included
            picks = sorted({round(i * (len(rows) - 1) / (samples - 1)) for i in range(samples)})
            rows = [rows[i] for i in picks]
        return [{k: r[k] for k in [x_axis, *(keys or r)] if k in r} for r in rows]

    def scan_history(self, keys: list[str] | None = None, page_size: int = 1000, min_step: int = 0,
                     max_step: int | None = None, use_cache: bool = True) -> Iterator[dict[str, Any]]:  # fmt: skip
        self.calls.append(("scan_history", {"keys": keys, "page_size": page_size}))
        return iter([dict(r) for r in self.rows if all(k in r for k in keys or [])])


class FakeApi:
    """The slice of `wandb.Api` Runwise uses, with a tiny MongoDB-style filter for realism."""

    def __init__(self, runs: list[FakeRun]) -> None:
        self._runs = {r.id: r for r in runs}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def runs(self, path: str | None = None, filters: dict[str, Any] | None = None, order: str = "+created_at",
             per_page: int = 50, include_sweeps: bool = False, lazy: bool = True) -> list[FakeRun]:  # fmt: skip
        self.calls.append(("runs", {"path": path, "filters": filters, "order": order, "per_page": per_page}))
        found = [r for r in self._runs.values() if _matches(r, filters or {})]
        field = order.lstrip("+-")
        if field.startswith("summary_metrics."):
            found.sort(key=lambda r: r.summary_metrics[field.split(".", 1)[1]])
        else:
            found.sort(key=lambda r: r.created_at)
        return found[::-1] if order.startswith("-") else found

    def run(self, path: str) -> FakeRun:
        self.calls.append(("run", {"path": path}))
        entity, project, run_id = path.split("/")
        if (entity, project) != ("ent", "proj") or run_id not in self._runs:
            raise RunNotFoundError(f"Could not find run {path}")
        return self._runs[run_id]


def _matches(run: FakeRun, query: dict[str, Any]) -> bool:
    for key, want in query.items():
        if key == "$and":
            if not all(_matches(run, q) for q in want):
                return False
        elif key.startswith("summary_metrics."):
            present = key.split(".", 1)[1] in run.summary_metrics
            if isinstance(want, dict) and "$exists" in want and present != want["$exists"]:
                return False
        elif key == "state" and run.state != want:
            return False
    return True


@pytest.fixture
def api() -> FakeApi:
    return FakeApi(
        [
            FakeRun("r1", "first", state="finished", loss_end=0.5, created_at="2024-05-01T12:00:00"),
            FakeRun("r2", "second", state="running", loss_end=0.3, created_at="2024-05-02T12:00:00"),
            FakeRun("r3", "third", state="failed", loss_end=0.9, created_at="2024-05-03T12:00:00", tags=[]),
        ]
    )


@pytest.fixture
def source(api: FakeApi) -> WandbApiRunSource:
    return WandbApiRunSource("wandb://ent/proj", api=api)


def test_list_runs_pushes_filters_order_and_limit(source: WandbApiRunSource, api: FakeApi) -> None:
    infos = source.list_runs(limit=2, filters={"state": "finished"})
    assert api.calls == [
        ("runs", {"path": "ent/proj", "filters": {"state": "finished"}, "order": "-created_at", "per_page": 2})
    ]
    assert [i.id for i in infos] == ["r1"]
    info = infos[0]
    assert (info.name, info.project, info.state, info.source) == ("first", "proj", "finished", "wandb-cloud")
    assert info.created_at == 1714564800.0 and info.updated_at == 1714568400.0
    assert info.last_step == 99 and info.tags == ("baseline",) and info.git is not None and info.git.commit == "abc123"
    states = {i.id: i.state for i in source.list_runs()}
    assert states == {"r1": "finished", "r2": "running", "r3": "crashed"}
    assert [i.id for i in source.list_runs()] == ["r3", "r2", "r1"]  # newest first


def test_load_run_samples_each_key_on_the_server(api: FakeApi) -> None:
    source = WandbApiRunSource("ent/proj", api=api, samples=40)
    run = source.load_run("r1")
    fake = api._runs["r1"]
    assert sorted(c[1]["keys"][0] for c in fake.calls) == ["loss", "val/loss"]
    assert all(c[0] == "history" and c[1]["samples"] == 40 for c in fake.calls)
    loss, val = run.series["loss"], run.series["val/loss"]
    assert len(loss) <= 40 and loss.steps[0] == 0 and loss.steps[-1] == 99
    assert val.steps.tolist() == list(range(0, 100, 10))  # a sparse key keeps its own steps
    assert "samples" not in run.series  # media are not series
    assert run.config == {"lr": 0.01}
    assert run.summary == {"loss": 0.5, "val/loss": pytest.approx(1.1), "_runtime": 99.0, "eval/acc": 0.9}
    assert run.info.runtime_s == 99.0
    assert any("sampled" in w for w in run.warnings)


def test_nan_strings_become_nan(source: WandbApiRunSource) -> None:
    loss = source.load_series("r1", ["loss"])["loss"]
    at = dict(zip(loss.steps.tolist(), loss.values.tolist()))
    assert math.isnan(at[7]) and at[8] == pytest.approx(0.5 + 0.92)


def test_full_history_scans_every_point(api: FakeApi) -> None:
    source = WandbApiRunSource("wandb://ent/proj", api=api, full_history=True)
    run = source.load_run("r2")
    assert len(run.series["loss"]) == 100 and run.warnings == ()
    assert {c[0] for c in api._runs["r2"].calls} == {"scan_history"}
    sampled = WandbApiRunSource("wandb://ent/proj", api=api).load_series("r2", ["loss"], full=True)
    assert len(sampled["loss"]) == 100


def test_best_run_ordering_is_pushed_to_the_server(source: WandbApiRunSource, api: FakeApi) -> None:
    found = source.best_run("loss", higher_is_better=False)
    assert found is not None and found[0].id == "r2" and found[1] == 0.3
    assert api.calls[-1] == (
        "runs",
        {"path": "ent/proj", "filters": {"summary_metrics.loss": {"$exists": True}}, "order": "+summary_metrics.loss",
         "per_page": 1},
    )  # fmt: skip
    best = source.best_run("loss", higher_is_better=True, filters={"state": "finished"})
    assert best is not None and best[0].id == "r1"
    assert api.calls[-1][1]["filters"] == {"$and": [{"state": "finished"}, {"summary_metrics.loss": {"$exists": True}}]}
    assert source.best_run("no_such_metric", higher_is_better=True) is None


def test_run_references(source: WandbApiRunSource) -> None:
    assert parse_uri("wandb://ent/proj/r1").run_id == "r1"
    assert parse_uri("wandb://ent/proj/runs/r1").run_path("r1") == "ent/proj/r1"
    assert str(parse_uri("ent/proj")) == "wandb://ent/proj"
    assert source.load_run("wandb://ent/proj/r2").info.id == "r2"
    with pytest.raises(InvalidInput, match="wandb://ENTITY/PROJECT"):
        parse_uri("wandb://only-entity")


def test_unknown_run_and_metric(source: WandbApiRunSource) -> None:
    with pytest.raises(RunNotFound, match="no such run"):
        source.load_run("nope")
    with pytest.raises(MetricNotFound):
        source.load_series("r1", ["no/such/key"])


def test_network_failure_is_one_line(api: FakeApi) -> None:
    def down(**_: Any) -> None:
        raise ConnectionError(
            "HTTPSConnectionPool(host='api.wandb.ai', port=443): Max retries exceeded\n  (caused by...)"
        )

    api.runs = down  # type: ignore[method-assign, assignment]
    with pytest.raises(RunwiseError) as caught:
        WandbApiRunSource("ent/proj", api=api).list_runs()
    assert "\n" not in str(caught.value) and "W&B API request failed" in str(caught.value)
    assert "WANDB_API_KEY" in str(caught.value)


def test_fingerprint_follows_the_heartbeat(source: WandbApiRunSource, api: FakeApi) -> None:
    before = source.fingerprint("r2")
    api._runs["r2"].heartbeat_at = "2024-05-02T13:05:00"
    assert source.fingerprint("r2") != before


# --- building the client (the real wandb package is never imported here) --------------------------


def test_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # `import wandb` raises ImportError
    with pytest.raises(MissingExtra, match=r"pip install 'runwise\[wandb\]'"):
        WandbApiRunSource("ent/proj").list_runs()


def _fake_wandb(monkeypatch: pytest.MonkeyPatch, made: list[dict[str, Any]]) -> None:
    module = types.ModuleType("wandb")

    def api_factory(**kwargs: Any) -> FakeApi:
        made.append(kwargs)
        return FakeApi([FakeRun("r1", "first", state="finished", loss_end=0.5)])

    module.Api = api_factory  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wandb", module)


def test_no_api_key_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    made: list[dict[str, Any]] = []
    _fake_wandb(monkeypatch, made)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))  # no stored `wandb login`
    with pytest.raises(RunwiseError) as caught:
        WandbApiRunSource("ent/proj").list_runs()
    assert str(caught.value) == "no W&B API key found — set WANDB_API_KEY or run: wandb login"
    assert made == []  # never reached wandb.Api, which would prompt on a terminal


def test_key_from_the_environment_or_netrc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    made: list[dict[str, Any]] = []
    _fake_wandb(monkeypatch, made)
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert [i.id for i in WandbApiRunSource("ent/proj", timeout=5).list_runs()] == ["r1"]
    assert made == [{"overrides": None, "timeout": 5, "api_key": None}]
    monkeypatch.delenv("WANDB_API_KEY")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password " + "y" * 40 + "\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert [i.id for i in WandbApiRunSource("ent/proj").list_runs()] == ["r1"]


def test_queries_and_best_run_are_pushed_down_through_the_services(source: WandbApiRunSource, api: FakeApi) -> None:
    """The W&B cloud cannot be reached here: FakeApi stands in at the wandb.Api boundary."""
    from runwise.services.catalog import Catalog
    from runwise.services.compare import find_best_run
    from runwise.services.query import query_runs

    catalog = Catalog([source])
    result = query_runs(catalog, 'state == "finished"', schema=MetricSchema())
    assert [m.info.id for m in result.matches] == ["r1"]
    assert any(call[0] == "runs" and call[1]["filters"] == {"state": "finished"} for call in api.calls)
    best = find_best_run(catalog, "loss", "min", schema=MetricSchema())
    assert best.winner.info.id == "r2"
    assert any(call[0] == "runs" and call[1].get("order") == "+summary_metrics.loss" for call in api.calls)
