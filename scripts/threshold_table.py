"""Rewrite the README's table of detector thresholds from the detector records.

Usage: python scripts/threshold_table.py   (tests/unit/analysis/test_registry.py fails when the table is stale)
"""

from __future__ import annotations

from pathlib import Path

from runwise.domain.analysis import THRESHOLD_DEFAULTS

README = Path(__file__).resolve().parents[1] / "README.md"
HEAD = "| threshold | default | meaning |"


def table() -> str:
    rows = [HEAD, "|---|---|---|"]
    rows += [f"| `{name}` | {default:g} | {meaning} |" for name, (default, meaning) in THRESHOLD_DEFAULTS.items()]
    return "\n".join(rows)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index(HEAD)
    end = text.index("\n\n", start)
    README.write_text(text[:start] + table() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
