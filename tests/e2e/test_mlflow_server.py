"""Runwise against a real `mlflow server` (127.0.0.1, sqlite backend), through a recording proxy."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from runwise.adapters.sources.mlflow.server import MlflowServerRunSource
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.errors import RunNotFound, RunwiseError
from runwise.entrypoints.cli import main
from tests import mlflow_support
from tests.mlflow_proxy import RecordingProxy
from tests.mlflow_support import free_port, rich_job

JOB = rich_job("server")
mlflow_support.register(JOB)


@pytest.fixture(scope="module")
def ids() -> dict[str, str]:
    return mlflow_support.cached(JOB)[1]


@pytest.fixture
def proxy(ids: dict[str, str]) -> Iterator[RecordingProxy]:
    recording = RecordingProxy(mlflow_support.server().url)
    yield recording
    recording.close()


def cli(url: str, *argv: str) -> tuple[int, str]:
    """The CLI without the parsed-run cache, so every read the command needs reaches the server."""
    out = io.StringIO()
    code = main(["--dir", url, "--no-color", "--no-cache", *argv], stdout=out)
    return code, out.getvalue()


def test_query_filter_is_sent_to_the_server(proxy: RecordingProxy, ids: dict[str, str]) -> None:
    code, text = cli(proxy.url, "--format", "json", "query", "state == 'finished' and config.optimizer == 'adam'")
    assert code == 0, text
    names = [m["run"]["name"] for m in json.loads(text)["matches"]]
    assert names == ["baseline"]
    (search,) = proxy.searches()
    assert search["filter"] == "attributes.status = 'FINISHED' AND params.optimizer = 'adam'"
    assert search["order_by"] == ["attributes.start_time DESC"]
    histories = {r.query["run_id"][0] for r in proxy.requests if r.path.endswith("/metrics/get-history")}
    assert histories <= {ids["baseline"]}  # only what the server returned is loaded, if anything


def test_best_is_ordered_by_the_server(proxy: RecordingProxy, ids: dict[str, str]) -> None:
    code, text = cli(proxy.url, "--format", "json", "best", "train/loss", "--min")
    assert code == 0, text
    searches = proxy.searches()
    assert searches[0]["order_by"][0] == "metrics.`train/loss` ASC" and searches[0]["max_results"] == 1
    loaded = {r.query["run_id"][0] for r in proxy.requests if r.path.endswith("/metrics/get-history")}
    assert loaded == {ids["baseline"]}  # the winner only, not every run
    best = json.loads(text)
    assert best["best"]["run"]["name"] == "baseline"  # last train/loss 0.167, lowest of every experiment


def test_project_narrows_the_search_and_unknown_experiment_is_one_line(proxy: RecordingProxy) -> None:
    code, text = cli(proxy.url, "--format", "json", "list", "--project", "nlp")
    assert code == 0 and sorted(r["name"] for r in json.loads(text)["runs"]) == ["live", "stopped"]
    assert len(proxy.searches()) == 1 and len(proxy.searches()[0]["experiment_ids"]) == 1
    with pytest.raises(RunNotFound, match="no experiment named 'nope'") as caught:
        MlflowServerRunSource(proxy.url).list_runs(project="nope")
    assert "\n" not in str(caught.value)


def test_histories_are_read_whole_page_by_page(
    proxy: RecordingProxy, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import runwise.adapters.sources.mlflow.server as server_module

    monkeypatch.setattr(server_module, "HISTORY_PAGE", 7)
    loss = MlflowServerRunSource(proxy.url).load_series(ids["baseline"], ["train/loss"])["train/loss"]
    assert loss.steps.tolist() == list(range(60))
    pages = [r for r in proxy.requests if r.path.endswith("/metrics/get-history")]
    assert len(pages) == 9 and all(r.query["max_results"] == ["7"] for r in pages)
    assert sum("page_token" in r.query for r in pages) == 8


def test_quick_history_uses_the_server_sample(proxy: RecordingProxy, ids: dict[str, str]) -> None:
    sampled = MlflowServerRunSource(proxy.url).load_series(ids["baseline"], ["train/loss"], samples=10)["train/loss"]
    assert 2 <= len(sampled) <= 10 and set(sampled.steps.tolist()) <= set(range(60))
    assert any(r.path.endswith("/get-history-bulk-interval") for r in proxy.requests)


def test_unreachable_server_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, _ = cli(url, "list")
    assert code == 2
    with pytest.raises(RunwiseError, match="cannot reach the MLflow server") as caught:
        MlflowServerRunSource(url).list_runs()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_one_line(proxy: RecordingProxy, status: int) -> None:
    proxy.deny_status = status  # an MLflow server with auth answers like this; the real one here has none
    with pytest.raises(RunwiseError, match=f"refused the request \\(HTTP {status}\\)") as caught:
        MlflowServerRunSource(proxy.url).list_runs()
    assert "MLFLOW_TRACKING_TOKEN" in str(caught.value) and "\n" not in str(caught.value)


def test_tracking_uri_from_the_environment_is_listed(ids: dict[str, str], tmp_path: Path) -> None:
    url = mlflow_support.server().url
    settings = Settings.load(cwd=tmp_path, env={"MLFLOW_TRACKING_URI": url}, dir=str(tmp_path))
    app = bootstrap(settings)
    names = {info.name for _, info in app.catalog.list_runs()}
    assert {"baseline", "diverged", "live"} <= names
    run = app.catalog.load(f"mlflow:{ids['diverged']}").run
    assert run.info.state == "crashed" and run.info.project == "vision"
    assert app.catalog.load("vision/diverged").run.info.id == ids["diverged"]


def test_a_run_address_from_the_web_ui_is_a_ref(ids: dict[str, str]) -> None:
    url = mlflow_support.server().url
    app = bootstrap(Settings(dir=url))
    run = app.catalog.load(f"{url}/#/experiments/1/runs/{ids['live']}").run
    assert run.info.name == "live" and run.info.state == "running"


def test_list_state_is_filtered_by_the_server(proxy: RecordingProxy, ids: dict[str, str]) -> None:
    code, text = cli(proxy.url, "--format", "json", "list", "--state", "running")
    assert code == 0, text
    runs = json.loads(text)["runs"]
    assert "live" in {r["name"] for r in runs} and {r["state"] for r in runs} == {"running"}
    (search,) = proxy.searches()
    assert search["filter"] == "attributes.status = 'RUNNING'"
    code, text = cli(proxy.url, "--format", "json", "list", "--state", "crashed")  # FAILED or KILLED: filtered here
    assert code == 0 and {"diverged", "stopped"} <= {r["name"] for r in json.loads(text)["runs"]}
