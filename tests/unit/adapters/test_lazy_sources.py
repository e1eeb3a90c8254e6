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


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("text", "runwise.adapters.sources.text_logs.source"),
        ("lightning", "runwise.adapters.sources.csv_loggers.discovery"),
        ("keras", "runwise.adapters.sources.csv_loggers.discovery"),
        ("ultralytics", "runwise.adapters.sources.csv_loggers.discovery"),
    ],
)
def test_a_probe_skips_no_folder_its_discovery_reads(source: str, module: str) -> None:
    """A probe that skipped a folder its source reads would hide the runs inside it."""
    import importlib

    (spec,) = [s for s in local_source_specs(Settings()) if s.name == source]
    assert spec.skips <= frozenset(importlib.import_module(module)._FOREIGN)


def _imported(root: Path) -> list[str]:
    sources = local_sources(root, Settings())
    for source in sources:
        source.list_runs()
    return [s.name for s in sources if isinstance(s, LazySource) and s._real is not None]


def test_names_inside_a_folder_a_source_skips_do_not_import_it(tmp_path: Path) -> None:
    """A W&B run folder's own logs are no text or CSV log: those readers never look inside `wandb/`."""
    run = tmp_path / "wandb" / "offline-run-20260101_000000-abc"
    for name in ("logs/debug.log", "logs/debug-internal.log", "files/requirements.txt", "files/output.log"):
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text("x\n")
    assert _imported(tmp_path) == ["wandb"]  # the run folder's name is W&B's
    (tmp_path / "train.log").write_text("step 1 loss 2.0\n")
    assert _imported(tmp_path) == ["wandb", "lightning", "keras", "ultralytics", "text"]


def test_a_folder_only_some_sources_skip_still_imports_the_others(tmp_path: Path) -> None:
    """The text reader passes over `lightning_logs/`; the CSV readers read it."""
    csv = tmp_path / "lightning_logs" / "version_0" / "metrics.csv"
    csv.parent.mkdir(parents=True)
    csv.write_text("epoch,step,train_loss\n0,1,2.0\n")
    assert _imported(tmp_path) == ["lightning", "keras", "ultralytics"]
