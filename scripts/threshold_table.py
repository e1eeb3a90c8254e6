"""Rewrite the README's tables of detectors and of their thresholds from the detector records.

Usage: python scripts/threshold_table.py   (tests/unit/analysis/test_registry.py fails when a table is stale)
"""

from __future__ import annotations

from pathlib import Path

from runwise.domain.analysis import REGISTRY, THRESHOLD_DEFAULTS

README = Path(__file__).resolve().parents[1] / "README.md"
HEAD = "| threshold | default | meaning |"
DETECTORS_HEAD = "| kind | judges | needs |"


def detectors() -> str:
    rows = [DETECTORS_HEAD, "|---|---|---|"]
    for d in sorted(REGISTRY, key=lambda d: d.priority):
        roles = ", ".join(r.value for r in d.applies_to) if len(d.applies_to) < 5 else "every metric"
        rows.append(f"| `{d.kind}` | {roles} | {d.needs} |")
    return "\n".join(rows)


def table() -> str:
    rows = [HEAD, "|---|---|---|"]
    rows += [f"| `{name}` | {default:g} | {meaning} |" for name, (default, meaning) in THRESHOLD_DEFAULTS.items()]
    return "\n".join(rows)


def _replace(text: str, head: str, body: str) -> str:
    start = text.index(head)
    end = text.index("\n\n", start)
    return text[:start] + body + text[end:]


def main() -> None:
    text = README.read_text(encoding="utf-8")
    text = _replace(_replace(text, HEAD, table()), DETECTORS_HEAD, detectors())
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
