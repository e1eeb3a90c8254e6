"""The JSON and YAML side files of a W&B run folder (`files/`), written by older clients and by sync.

wandb 0.31 offline writes none of them; older clients wrote `wandb-summary.json`, `config.yaml`,
`wandb-metadata.json` and, before the binary format, `wandb-history.jsonl`. Each is optional and
a broken one is ignored: the `.wandb` file, when present, is the primary source.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from runwise.adapters.fs import is_regular_file
from runwise.adapters.sources.wandb_local.summary import decode_json
from runwise.domain.model import MetricSeries, sorted_series

SUMMARY_FILE = "wandb-summary.json"
CONFIG_FILE = "config.yaml"
METADATA_FILE = "wandb-metadata.json"
HISTORY_FILE = "wandb-history.jsonl"
SIDE_FILES = (SUMMARY_FILE, CONFIG_FILE, METADATA_FILE, HISTORY_FILE)


def side_file(folder: Path, name: str) -> Path | None:
    path = folder / "files" / name
    return path if is_regular_file(path) else None


def _json(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def metadata(folder: Path) -> dict[str, Any]:
    """`wandb-metadata.json`: git remote and commit, start time, program, host."""
    data = _json(side_file(folder, METADATA_FILE))
    return data if isinstance(data, dict) else {}


def summary(folder: Path) -> dict[str, Any]:
    """`wandb-summary.json` flattened with `/`; media entries (dicts with `_type`) are left out."""
    data = _json(side_file(folder, SUMMARY_FILE))
    return dict(_flatten(data)) if isinstance(data, dict) else {}


_MAX_NESTING = 32  # deeper values are not metrics, and must not exhaust the stack


def _flatten(data: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if name.startswith("_wandb"):
            continue
        if isinstance(value, dict):
            if "_type" not in value and depth < _MAX_NESTING:
                yield from _flatten(value, name + "/", depth + 1)
        elif not isinstance(value, list):
            yield name, value


def config(folder: Path) -> dict[str, Any]:
    """`config.yaml`: `{key: {desc, value}}` entries become `{key: value}`."""
    path = side_file(folder, CONFIG_FILE)
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    data = _yaml(text)
    out: dict[str, Any] = {}
    for key, entry in data.items():
        if key in ("wandb_version", "_wandb"):
            continue
        out[key] = entry.get("value") if isinstance(entry, dict) and "value" in entry else entry
    return out


def _yaml(text: str) -> dict[str, Any]:
    """PyYAML when installed; otherwise the two-level subset W&B writes (scalar values only)."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return _tiny_yaml(text)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _tiny_yaml(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    current: dict[str, Any] | None = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            key, _, rest = line.partition(":")
            current = {} if not rest.strip() else None
            out[key.strip()] = current if current is not None else _scalar(rest.strip())
        elif current is not None and line.startswith("  ") and not line.startswith("   "):
            key, _, rest = line.strip().partition(":")
            current[key.strip()] = _scalar(rest.strip())
    return out


def _scalar(text: str) -> Any:
    if text in ("null", "~", ""):
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return json.loads(text)
    except ValueError:
        return text.strip("'\"")


def history(folder: Path) -> dict[str, MetricSeries]:
    """`wandb-history.jsonl` (clients before the binary format): one JSON row per step."""
    path = side_file(folder, HISTORY_FILE)
    if path is None:
        return {}
    columns: dict[str, tuple[list[int], list[float], list[float]]] = {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return {}
    for index, line in enumerate(lines):
        row = decode_json(line)  # None for a torn last line of a growing file, or a damaged one
        if not isinstance(row, dict):
            continue
        step = row.get("_step", index)
        if isinstance(step, float) and abs(step) < 2**63:  # NaN fails the comparison
            step = int(step)
        if not isinstance(step, int) or not -(2**63) < step < 2**63:
            step = index
        wall = row.get("_timestamp")
        wall_f = float(wall) if isinstance(wall, int | float) else np.nan
        for key, value in _flatten(row):
            if key in ("_step", "_timestamp", "_runtime") or isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                col = columns.setdefault(key, ([], [], []))
                col[0].append(int(step))
                col[1].append(float(value))
                col[2].append(wall_f)
    out = {}
    for key, (steps, values, walls) in sorted(columns.items()):
        wall_a = np.array(walls)
        out[key] = sorted_series(key, steps, values, None if np.isnan(wall_a).all() else wall_a)
    return out
