"""Local sources are imported only when the root holds names they could read (adapters/lazy_sources.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runwise.adapters import lazy_sources
from runwise.adapters.lazy_sources import FolderNames, LazySource
from runwise.bootstrap import local_source_specs, local_sources
from runwise.config import Settings
from runwise.domain.errors import RunNotFound
from tests.e2e.logs import healthy_rows, write_jsonl


def test_each_lazy_source_is_named_as_the_source_it_stands_for(tmp_path: Path) -> None:
    for spec in local_source_specs(Settings()):
        assert spec.build(tmp_path).name == spec.name


def test_only_the_sources_whose_names_are_there_are_imported(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a" / "metrics.jsonl", healthy_rows(5))
    sources = local_sources(tmp_path, Settings())
    found = [info.id for s in sources for info in s.list_runs()]
    assert found == ["a/metrics"]
    imported = [s.name for s in sources if isinstance(s, LazySource) and s._real is not None]
    assert imported == ["jsonl"]


def test_a_source_whose_files_appear_later_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long-lived process (the MCP server) finds a run of another format written after it started."""
    now = [0.0]
    monkeypatch.setattr(lazy_sources.time, "monotonic", lambda: now[0])
    (source,) = [s for s in local_sources(tmp_path, Settings()) if s.name == "jsonl"]
    assert source.list_runs() == []
    with pytest.raises(RunNotFound):
        source.load_run("metrics")
    write_jsonl(tmp_path / "metrics.jsonl", healthy_rows(5))
    now[0] += lazy_sources.REFRESH_S + 1
    assert [info.id for info in source.list_runs()] == ["metrics"]
    assert source.load_run("metrics").info.id == "metrics"


def test_names_are_walked_once_for_every_probe_of_a_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    walks: list[Path] = []
    real_walk = lazy_sources.walk
    monkeypatch.setattr(lazy_sources, "walk", lambda root: walks.append(root) or real_walk(root))
    for source in local_sources(tmp_path, Settings()):
        source.list_runs()
    assert walks == [tmp_path]


def test_the_root_and_its_parents_count_as_folder_names(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    store.mkdir()
    _files, folders = FolderNames(store).current()
    assert "mlruns" in folders and tmp_path.name in folders


@pytest.mark.parametrize(
    ("source", "module", "constant"),
    [
        ("mlflow", "runwise.adapters.sources.mlflow.sqlite_store", "SUFFIXES"),
        ("text", "runwise.adapters.sources.text_logs.source", "SUFFIXES"),
        ("lightning", "runwise.adapters.sources.csv_loggers.discovery", "SUFFIXES"),
        ("keras", "runwise.adapters.sources.csv_loggers.discovery", "SUFFIXES"),
        ("ultralytics", "runwise.adapters.sources.csv_loggers.discovery", "SUFFIXES"),
    ],
)
def test_a_probe_accepts_every_suffix_its_discovery_reads(source: str, module: str, constant: str) -> None:
    """The probes copy their sources' suffixes (importing the source to read them would defeat the probe): a
    suffix added to a source and not to its probe would hide that format's runs."""
    import importlib

    (spec,) = [s for s in local_source_specs(Settings()) if s.name == source]
    suffixes = getattr(importlib.import_module(module), constant)
    assert [suffix for suffix in suffixes if not spec.files(f"run{suffix}")] == []


def test_the_event_file_probe_is_tensorboards_own_test() -> None:
    from runwise.adapters.sources.tensorboard.discovery import is_event_file

    (spec,) = [s for s in local_source_specs(Settings()) if s.name == "tensorboard"]
    for name in ("events.out.tfevents.1700000000.host", "events.out.tfevents.1.h.v2", "metrics.jsonl"):
        assert spec.files(name) == is_event_file(name)
