"""Composition root: builds the sources, renderers and token counter a Runwise instance uses."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from runwise.config import Settings
from runwise.domain.hints import no_logs_hint
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr
from runwise.ports.progress import ReadProgress
from runwise.ports.renderer import Renderer
from runwise.ports.run_source import RunSource
from runwise.ports.tokens import TokenCounter
from runwise.services.cache import RunCache
from runwise.services.catalog import Catalog
from runwise.services.summarize import Analyzer

if TYPE_CHECKING:
    from runwise.adapters.cache.store import DiskRunStore
    from runwise.adapters.lazy_sources import SourceSpec
    from runwise.domain.cost import PriceTable
    from runwise.domain.model import GitInfo
    from runwise.services.stored_runs import StoredRuns
    from runwise.services.watch import EventFeeds


@attrs.frozen
class Runwise:
    """Everything an entry point needs, wired once."""

    __repr__ = fields_repr

    settings: Settings
    catalog: Catalog
    renderers: Mapping[str, Renderer]
    tokens: TokenCounter
    schema: MetricSchema
    analyzer: Analyzer | None = None
    _made: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    def renderer(self, fmt: str) -> Renderer:
        return self.renderers.get(fmt) or self.renderers["md"]

    def event_feeds(self) -> EventFeeds:
        """The watchers the MCP server keeps between get_run_events calls (made on first use)."""
        feeds = self._made.get("feeds")
        if feeds is None:
            from runwise.domain.analysis import analyze
            from runwise.services.watch import EventFeeds

            analyzer = self.analyzer or analyze
            feeds = self._made["feeds"] = EventFeeds(
                self.catalog, self.schema, lambda run, schema: analyzer(run, schema).anomalies
            )
        return feeds

    def price_table(self) -> PriceTable:
        """The shipped accelerator prices with the config file's `prices` over them."""
        from runwise.adapters.prices import price_table

        return price_table(self.settings.prices)


def local_sources(root: Path, settings: Settings) -> list[RunSource]:
    """Every local source over one discovery root; each finds its own runs without being told. Each is imported
    only when the root holds a file or folder name it could read (adapters/lazy_sources.py, LOCAL_SOURCES)."""
    from runwise.adapters.lazy_sources import lazy_sources

    return lazy_sources(root, local_source_specs(settings))


def local_source_specs(settings: Settings) -> list[SourceSpec]:
    """The local sources in the order they are asked, each with the names its discovery looks for (a superset:
    the source decides). Keep a probe in step with its source's discovery (named beside it); a probe that
    misses a name hides that source's runs, which tests/e2e/test_sources_end_to_end.py would show."""
    from runwise.adapters.lazy_sources import SourceSpec

    sources = "runwise.adapters.sources"
    csv_logs = (".csv", ".log", ".txt")  # csv_loggers/discovery.py SUFFIXES, one kind per file after a peek
    csv_skips = frozenset({"wandb", "mlruns", ".aim", ".neptune"})  # csv_loggers/discovery.py _FOREIGN
    return [
        SourceSpec(  # jsonl/source.py _files
            "jsonl",
            f"{sources}.jsonl",
            lambda m, root: m.JsonlRunSource(root, step_key=settings.step_key),
            files=lambda name: name.endswith(".jsonl"),
        ),
        SourceSpec(  # tensorboard/discovery.py is_event_file
            "tensorboard",
            f"{sources}.tensorboard",
            lambda m, root: m.TensorBoardRunSource(root, layout=settings.tensorboard_layout),
            files=lambda name: "tfevents" in name,
        ),
        SourceSpec(  # wandb_local/discovery.py run_folder: a `.wandb` file, or a run folder with its side files
            "wandb",
            f"{sources}.wandb_local",
            lambda m, root: m.WandbLocalRunSource(root),
            files=lambda name: name.endswith(".wandb"),
            folders=lambda name: name.startswith(("run-", "offline-run-")),
        ),
        SourceSpec(  # hf_trainer/discovery.py _candidates
            "hf",
            f"{sources}.hf_trainer",
            lambda m, root: m.HfTrainerRunSource(root),
            files=lambda name: name == "trainer_state.json",
        ),
        SourceSpec(  # aim/repo.py find_repos
            "aim", f"{sources}.aim", lambda m, root: m.AimRunSource(root), folders=lambda name: name == ".aim"
        ),
        *(
            SourceSpec(name, f"{sources}.csv_loggers", _made(kind), files=_ends(csv_logs), skips=csv_skips)
            for name, kind in (
                ("lightning", "LightningRunSource"),
                ("keras", "KerasRunSource"),
                ("ultralytics", "UltralyticsRunSource"),
            )
        ),
        SourceSpec(  # neptune/source.py _found_in: offline folders, neptune-scale databases, exported Parquet parts
            "neptune",
            f"{sources}.neptune",
            lambda m, root: m.NeptuneRunSource(root),
            files=lambda name: name == "run_operations.sqlite3" or name.endswith(".parquet"),
            folders=lambda name: name == ".neptune",
        ),
        SourceSpec(  # mlflow/discovery.py find_stores: SQLite stores, `mlruns` or any folder with a `.trash`
            "mlflow",
            f"{sources}.mlflow",
            lambda m, root: m.MlflowRunSource(root),
            files=_ends((".db", ".sqlite", ".sqlite3")),
            folders=lambda name: name in ("mlruns", ".trash"),
        ),
        SourceSpec(  # text_logs/source.py SUFFIXES and _FOREIGN
            "text",
            f"{sources}.text_logs",
            lambda m, root: m.TextLogRunSource(root),
            files=_ends((".log", ".txt", ".out")),
            skips=frozenset({"wandb", "mlruns", ".aim", ".neptune", "lightning_logs"}),
        ),
    ]


def _ends(suffixes: tuple[str, ...]) -> Callable[[str], bool]:
    return lambda name: name.endswith(suffixes)


def _made(kind: str) -> Callable[[Any, Path], RunSource]:
    """A source built from the class `kind` of the imported module, over the root."""
    return lambda module, root: getattr(module, kind)(root)


def remote_source(uri: str, settings: Settings | None = None) -> tuple[RunSource, str] | None:
    """The source and run id behind a remote REF (`wandb://entity/project/run_id`, an MLflow run's web address
    `http://host:5000/#/experiments/1/runs/RUN_ID`); None if unknown."""
    if uri.startswith("wandb://"):
        from runwise.adapters.sources.wandb_api import WandbApiRunSource, parse_uri

        parsed = parse_uri(uri)
        if not parsed.run_id:
            from runwise.domain.errors import InvalidInput

            raise InvalidInput(f"'{uri}' names a project, not a run", "add the run id: wandb://entity/project/RUN_ID")
        return WandbApiRunSource(parsed), parsed.run_id
    if uri.startswith(("http://", "https://")):
        from runwise.adapters.sources.mlflow import server_run_ref

        base, run_id = server_run_ref(uri)
        if not run_id:
            from runwise.domain.errors import InvalidInput
            from runwise.domain.hints import Call, Setting, say

            raise InvalidInput(
                f"'{uri}' names a tracking server, not a run",
                say(Setting("tracking_server"), ", list its runs with ", Call.of("list"), ", then pass mlflow:RUN_ID"),
            )
        return mlflow_server(base, settings or Settings()), run_id
    return None


def mlflow_server(url: str, settings: Settings, experiment: str | None = None) -> RunSource:
    """An MLflow tracking server as a source, with the credentials MLflow's own client would use."""
    from runwise.adapters.sources.mlflow.server import MlflowServerRunSource

    return MlflowServerRunSource(
        url,
        experiment=experiment,
        token=settings.mlflow_tracking_token,
        username=settings.mlflow_tracking_username,
        password=settings.mlflow_tracking_password,
    )


def tracking_uri_sources(settings: Settings, roots: Sequence[Path]) -> list[RunSource]:
    """The store MLFLOW_TRACKING_URI names, unless discovery under the roots already finds it."""
    uri = settings.mlflow_tracking_uri
    if not uri:
        return []
    from runwise.adapters.sources.mlflow import MlflowRunSource, is_server_uri, local_store_path

    if is_server_uri(uri):
        return [mlflow_server(uri, settings)]
    path = local_store_path(uri)
    if path is None or not path.exists():
        return []
    real = path.resolve()
    if any(real == r.resolve() or r.resolve() in real.parents for r in roots):
        return []
    return [MlflowRunSource(real)]


def bootstrap(
    settings: Settings | None = None,
    *,
    sources: Mapping[str, RunSource] | Sequence[RunSource] | None = None,
    renderers: Mapping[str, Renderer] | None = None,
    tokens: TokenCounter | None = None,
    analyzer: Analyzer | None = None,
    progress: ReadProgress | None = None,
) -> Runwise:
    """Build a Runwise; tests pass their own sources (e.g. InMemoryRunSource) and keep the rest."""
    from runwise.adapters.fs import RealPathResolver
    from runwise.adapters.renderers.tabular import MarkdownRenderer, TextRenderer
    from runwise.adapters.sources.stores import StoreScout
    from runwise.adapters.tokens import default_counter

    settings = settings or Settings.load()
    roots = list(settings.roots)
    scouts: list[StoreScout] = []
    if sources is None and str(settings.dir).startswith("wandb://"):
        from runwise.adapters.sources.wandb_api import WandbApiRunSource

        source_list: list[RunSource] = [WandbApiRunSource(str(settings.dir))]  # --dir wandb://entity/project
    elif sources is None and str(settings.dir).startswith(("http://", "https://")):
        source_list = [mlflow_server(str(settings.dir), settings)]  # --dir http://host:5000 (a tracking server)
    elif sources is None and str(settings.dir).startswith(("sqlite:", "file:")):
        from runwise.adapters.sources.mlflow import MlflowRunSource, local_store_path

        store = local_store_path(str(settings.dir))  # --dir sqlite:///mlflow.db, as MLflow spells a store
        source_list = [MlflowRunSource(store or Path("."))]
    elif sources is None:
        found: list[RunSource] = []
        for root in roots or [Path(settings.dir)]:
            if not Path(root).exists():
                from runwise.domain.errors import InvalidInput

                raise InvalidInput(f"{root} does not exist", no_logs_hint())
            found.extend(local_sources(Path(root), settings))
        source_list = found + tracking_uri_sources(settings, [Path(r) for r in roots or [Path(settings.dir)]])
        readable = {s.name for s in source_list}
        scouts = [StoreScout(Path(root), readable=readable) for root in roots or [Path(settings.dir)]]
    else:
        source_list = list(sources.values()) if isinstance(sources, Mapping) else list(sources)
    stored = stored_runs(settings)
    catalog = Catalog(
        source_list,
        cache=RunCache(settings.cache_size),
        roots=[str(r) for r in roots] or None,
        path_resolver=RealPathResolver(),
        remote=partial(remote_source, settings=settings),
        stored=stored,
        scouts=scouts,
        progress=progress,
        outside=(lambda target: local_sources(Path(target), settings)) if sources is None and not roots else None,
        home=str(settings.dir),
    )
    catalog.git_locator = _locate_git
    if analyzer is None:
        analyzer = _default_analyzer()
        if stored is not None:
            from runwise.services.stored_runs import RememberedAnalyzer

            analyzer = RememberedAnalyzer(stored, analyzer)
    schema = settings.schema()
    if renderers is None:
        from runwise.domain.labels import KeyLabels

        labels = KeyLabels(schema.display_names)  # the schema's display names, for every key a reader sees
        renderers = {
            "text": TextRenderer(color=settings.color, labels=labels),
            "md": MarkdownRenderer(labels=labels),
        }
    return Runwise(
        settings=settings,
        catalog=catalog,
        renderers=renderers,
        tokens=tokens or default_counter(settings.tokenizer),
        schema=schema,
        analyzer=analyzer,
    )


def _locate_git(path: str, started_at: float | None) -> GitInfo | None:
    """The commit of the git work tree a log lives in (adapters.vcs; imported on first use)."""
    from runwise.adapters.vcs.git import infer_git

    return infer_git(path, started_at)


def cache_folder(settings: Settings) -> Path:
    """Where parsed runs are kept: `cache_dir` (RUNWISE_CACHE_DIR), else the user cache folder of the OS."""
    if settings.cache_dir is not None:
        return Path(settings.cache_dir).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("runwise", appauthor=False))


def run_store(settings: Settings) -> DiskRunStore:
    from runwise.adapters.cache.store import DiskRunStore

    return DiskRunStore(cache_folder(settings), max_bytes=settings.cache_max_mb << 20)


def stored_runs(settings: Settings) -> StoredRuns | None:
    """The disk cache of parsed runs; None when switched off (`--no-cache`, RUNWISE_NO_CACHE, `cache = false`)
    or when the cache folder was set inside a log folder (Runwise never writes there)."""
    if not settings.cache:
        return None
    folder = cache_folder(settings)
    if settings.cache_dir is not None:
        logs = [Path(r) for r in settings.roots] or ([] if isinstance(settings.dir, str) else [Path(settings.dir)])
        inside = [r for r in logs if _within(folder, r)]
        if inside:
            import logging

            logging.getLogger(__name__).warning(
                "cache folder %s is inside a log folder; running without the cache", folder
            )
            return None
    from runwise.adapters.cache.stamp import code_stamp
    from runwise.services.stored_runs import StoredRuns

    return StoredRuns(run_store(settings), scope=code_stamp())


def _within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return False
    return True


def _default_analyzer() -> Analyzer:
    from runwise.domain.analysis import analyze

    return analyze  # type: ignore[return-value]
