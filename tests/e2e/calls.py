"""One sample call per capability, on the example runs shipped in the repo (examples/jsonl).

The agreement test (test_declarations.py) and the three-transport test (test_transports.py) run every
call here; a new capability adds its call to this table.
"""

from __future__ import annotations

from typing import Any

CALLS: dict[str, dict[str, Any]] = {
    "list": {},
    "keys": {"run": "baseline", "prefix": "val/"},
    "summary": {"run": "lr-too-high"},
    "health": {"run": "lr-too-high"},
    "history": {"run": "baseline", "keys": ["train/loss", "val/loss"], "samples": 12, "from_step": 100, "to_step": 900},
    "stats": {"run": "small-data", "keys": ["val/loss", "train/loss"]},
    "anomalies": {"run": "lr-too-high", "severity": "warning"},
    "stability": {"run": "baseline", "keys": ["train/loss"], "window": 20},
    "compare": {"runs": ["baseline", "small-data"], "key_filter": ["loss"], "config_diff": True},
    "best": {"metric": "val/loss", "mode": "best", "where": "config.lr < 1"},
    "query": {"expr": "val/acc > 0.5", "sort": "-val/acc", "limit": 5},
    "aggregate": {"metric": "val/loss", "group_by": "config.lr"},
    "config": {"run": "baseline"},
    "init": {"run": "baseline"},
    "plot": {"run": "lr-too-high", "keys": ["train/loss"], "width": 300, "height": 200},
    "report": {"runs": ["lr-too-high", "baseline"], "keys": ["train/loss"], "token_budget": 600},
    "events": {"run": "lr-too-high", "stall_minutes": 30},
    "cost": {"runs": ["baseline", "small-data"], "gpu": "A100", "count": 2, "objective": "val/acc"},
    # CLI only (no tool to call): the agreement test parses these, test_watch_commands.py runs them
    "notify": {"channel": "slack", "run": "baseline"},
    "github_comment": {"runs": ["baseline", "small-data"], "pr": 7, "repo": "acme/trainer"},
}
