"""Finding and reading the config file (`runwise.toml`, or `[tool.runwise]` in pyproject.toml).

Apart from config.py because the CLI's answer cache must name the same file before anything heavier is imported:
this module needs the standard library only (tomllib is imported when there is a file to read).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

CONFIG_FILE = "runwise.toml"


def config_candidates(cwd: Path) -> list[Path]:
    """Every path the search looks at, in order, up to the folder where it stops (a config file or a `.git`)."""
    looked: list[Path] = []
    for folder in (cwd, *cwd.parents):
        looked += [folder / CONFIG_FILE, folder / "pyproject.toml", folder / ".git"]
        if (folder / CONFIG_FILE).is_file() or (folder / ".git").exists():
            break
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and isinstance(_runwise_table(pyproject), dict):
            break
    return looked


def read_config_file(cwd: Path) -> tuple[dict[str, Any], str]:
    """The settings of the nearest config file (paths made absolute) and where they came from."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            data = load_toml(candidate)
            return relative_paths(data, folder), str(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _runwise_table(pyproject)
            if isinstance(tool, dict):
                return relative_paths(tool, folder), f"{pyproject} [tool.runwise]"
        if (folder / ".git").exists():
            break
    return {}, "defaults"


def _runwise_table(pyproject: Path) -> Any:
    return load_toml(pyproject).get("tool", {}).get("runwise")


def relative_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(data)
    for key in ("dir", "schema_file", "cache_dir"):
        if isinstance(out.get(key), str):
            out[key] = str(base / out[key])
    if isinstance(out.get("roots"), list):
        out["roots"] = [str(base / r) for r in out["roots"]]
    return out


def load_toml(path: Path) -> dict[str, Any]:
    """tomllib is imported here, when there is a file to read: most calls have none (~5 ms of start-up)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        from runwise.domain.errors import ConfigError  # attrs and the hints: only when there is an error to say

        raise ConfigError(f"cannot read {path}: {exc}", "check the file exists and is UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        from runwise.domain.errors import ConfigError

        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax at that line") from None
