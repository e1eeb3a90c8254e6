"""`runwise report`: where the file goes, what it holds, markdown for PR comments, and the size of a 1M-step run's
report. The browser side is in test_report_browser.py."""

from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path

import numpy as np
import pytest

from runwise.adapters.renderers.report import HtmlReportRenderer
from runwise.adapters.sources.memory import InMemoryRunSource
from runwise.bootstrap import bootstrap
from runwise.config import Settings
from runwise.domain.model import MetricSeries, Run, RunInfo
from runwise.entrypoints.cli import main
from runwise.services.report import build_report

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "jsonl"


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    shutil.copytree(EXAMPLES, root)
    return root


def run_cli(*argv: str) -> tuple[int, str]:
    out = StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def test_default_file_name_comes_from_the_run_and_lands_in_the_working_folder(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out = run_cli("--dir", str(logs), "report", "lr-too-high")
    assert code == 0
    written = work / "runwise-report-lr-too-high.html"
    assert written.is_file() and f"wrote {written.name}" in out
    assert sorted(p.name for p in logs.iterdir()) == ["baseline.jsonl", "lr-too-high.jsonl", "small-data.jsonl"]


def test_a_report_is_never_written_into_a_runs_folder(
    logs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _ = run_cli("--dir", str(logs), "report", "lr-too-high", "-o", str(logs / "report.html"))
    assert code == 2
    err = capsys.readouterr().err
    assert "never writes where logs are" in err and "Traceback" not in err
    monkeypatch.chdir(logs)  # the default name would land beside the log file: refused too
    assert run_cli("--dir", str(logs), "report", "lr-too-high")[0] == 2
    assert not list(logs.glob("*.html"))


def test_the_html_is_self_contained_and_escapes_what_runs_logged(tmp_path: Path) -> None:
    x = np.arange(50)
    run = Run(
        info=RunInfo(id="r1", name="<b>bold</b>", source="memory", last_step=49),
        config={"note": "</script><script>alert(1)</script>"},
        summary={},
        series={"loss": MetricSeries("loss", x, 1.0 / (x + 1))},
    )
    app = bootstrap(Settings.load(env={}, cwd=tmp_path), sources=[InMemoryRunSource([run])])
    html = HtmlReportRenderer().render(build_report(app.catalog, ["r1"], app.schema, analyzer=app.analyzer))
    assert "<script>alert(1)" not in html and "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace is a name, never fetched
    assert not re.search(r"\s(src|href)=", html)
    assert "default-src 'none'" in html


def test_markdown_report_for_pr_comments(logs: Path) -> None:
    code, md = run_cli("--dir", str(logs), "--format", "md", "report", "lr-too-high", "-o", "-")
    assert code == 0
    assert md.startswith("# Runwise report — lr-too-high")
    for section in ("### Key metrics", "### Anomalies (6)", "### Learning rate", "### Recommendations", "### Config"):
        assert section in md
    assert "NaN in train/loss from step 693" in md
    assert "<svg" not in md  # charts are left out of markdown (GitHub strips inline SVG)


def test_a_million_step_report_stays_under_two_megabytes(tmp_path: Path) -> None:
    steps = 1_000_000
    rng = np.random.default_rng(0)
    x = np.arange(steps, dtype=np.int64)
    loss = 3.0 * np.exp(-x / 2e5) + 0.2 + rng.normal(0, 0.01, steps)
    loss[400_000] = 30.0
    run = Run(
        info=RunInfo(id="big", name="big", source="memory", last_step=steps - 1),
        config={},
        summary={},
        series={
            "train/loss": MetricSeries("train/loss", x, loss),
            "lr": MetricSeries("lr", x, np.full(steps, 3e-4)),
            "val/loss": MetricSeries("val/loss", x[::1000], loss[::1000]),
        },
    )
    app = bootstrap(Settings.load(env={}, cwd=tmp_path), sources=[InMemoryRunSource([run])])
    report = build_report(app.catalog, ["big"], app.schema, analyzer=app.analyzer)
    html = HtmlReportRenderer().render(report).encode()
    assert len(html) <= 2 * 1024 * 1024
    loss_chart = next(c for c in report.charts if c.key == "train/loss")
    assert loss_chart.lines[0].points == steps and 400_000 in loss_chart.lines[0].steps.tolist()


def test_unknown_key_is_one_line(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--dir", str(logs), "report", "lr-too-high", "-k", "val/los", "-o", "-")[0] == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "did you mean val/loss" in err


def test_markdown_report_fits_a_token_budget_keeping_headlines_and_anomalies(logs: Path, tmp_path: Path) -> None:
    from runwise.adapters.renderers.report import MarkdownReportRenderer
    from runwise.adapters.tokens import EstimatingTokenCounter
    from runwise.domain.budget import fit, render_sections

    app = bootstrap(Settings.load(env={}, cwd=tmp_path, dir=str(logs)))
    report = build_report(app.catalog, ["lr-too-high", "baseline"], app.schema, analyzer=app.analyzer)
    sections = MarkdownReportRenderer().sections(report)
    counter = EstimatingTokenCounter()
    whole = counter.count(render_sections(sections))
    kept, tokens = fit(sections, counter.count, 700)
    text = render_sections(kept)
    assert whole > 700 >= tokens == counter.count(text)
    assert "Main problem: NaN in train/loss from step 693" in text and "### Anomalies (6)" in text
    assert "### Config" not in text  # the config goes first


def test_a_run_without_metrics_still_gets_a_report(tmp_path: Path) -> None:
    run = Run(info=RunInfo(id="r0", name="fresh", source="memory"), config={"lr": 0.1}, summary={}, series={})
    app = bootstrap(Settings.load(env={}, cwd=tmp_path), sources=[InMemoryRunSource([run])])
    report = build_report(app.catalog, ["r0"], app.schema, analyzer=app.analyzer)
    html = HtmlReportRenderer().render(report)
    assert report.charts == () and "No metrics to chart yet." in html and "fresh" in html
