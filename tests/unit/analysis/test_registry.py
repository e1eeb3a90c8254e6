"""Detectors as records: every public kind has one record, the thresholds table is gathered from them and the
README's table matches it."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from runwise.domain.analysis import REGISTRY, THRESHOLD_DEFAULTS
from runwise.domain.analysis.detect import KIND_PRIORITY
from runwise.domain.anomaly import AnomalyKind

README = Path(__file__).resolve().parents[3] / "README.md"


def test_every_public_kind_has_exactly_one_record() -> None:
    kinds = [d.kind for d in REGISTRY]
    assert sorted(kinds) == sorted(typing.get_args(AnomalyKind))
    assert len(set(kinds)) == len(kinds)


def test_priorities_are_distinct_and_rank_causes_first() -> None:
    assert len(set(KIND_PRIORITY.values())) == len(KIND_PRIORITY)
    order = sorted(KIND_PRIORITY, key=KIND_PRIORITY.__getitem__)
    assert order.index("nan_inf") < order.index("divergence") < order.index("loss_spike")


def test_each_record_declares_roles_needs_and_consistent_thresholds() -> None:
    seen: dict[str, float] = {}
    for d in REGISTRY:
        assert d.applies_to and d.needs, d.kind
        for t in d.thresholds:
            assert seen.setdefault(t.name, t.default) == t.default, f"{t.name} declared with two defaults"
            assert t.meaning and not t.meaning.endswith(".")


def _readme_rows() -> dict[str, float]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("| threshold | default | meaning |") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([0-9.]+) \|", section, flags=re.M)
    return {name: float(value) for name, value in rows}


def test_readme_threshold_table_matches_the_records() -> None:
    expected = "\n".join(f"| `{n}` | {d:g} | {m} |" for n, (d, m) in THRESHOLD_DEFAULTS.items())
    assert _readme_rows() == {n: d for n, (d, _) in THRESHOLD_DEFAULTS.items()}, (
        "README's threshold table is out of date (python scripts/threshold_table.py); its rows should be:\n" + expected
    )


def test_readme_detector_table_matches_the_records() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("threshold_table", README.parent / "scripts" / "threshold_table.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    text = README.read_text(encoding="utf-8")
    assert script.detectors() in text, "README's detector table is out of date: python scripts/threshold_table.py"
    assert script.table() in text
