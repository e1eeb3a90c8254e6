"""Settings from `runwise.toml` / `[tool.runwise]`, then `RUNWISE_*` variables, then flags.

Adapters never read the environment: everything they need arrives through Settings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runwise.domain.errors import ConfigError
from runwise.domain.schema import MetricSchema

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

OutputFormat = Literal["text", "md", "json"]
CONFIG_FILE = "runwise.toml"


def _patterns(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


class SchemaModel(BaseModel):
    """The metric schema file: roles, directions, display names, groups and detector thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loss: tuple[str, ...] = Field(default=(), description="keys or glob patterns of training losses")
    validation: tuple[str, ...] = Field(default=(), description="keys or patterns of validation metrics")
    higher_is_better: tuple[str, ...] = Field(default=(), description="keys or patterns where higher is better")
    lower_is_better: tuple[str, ...] = Field(default=(), description="keys or patterns where lower is better")
    percent: tuple[str, ...] = Field(default=(), description="fractions in [0, 1] to show as percentages")
    lr: tuple[str, ...] = ()
    grad_norm: tuple[str, ...] = ()
    throughput: tuple[str, ...] = ()
    display_names: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict)

    @field_validator(
        "loss", "validation", "higher_is_better", "lower_is_better", "percent", "lr", "grad_norm", "throughput",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _as_patterns(cls, value: Any) -> tuple[str, ...]:
        return _patterns(value)

    def to_domain(self) -> MetricSchema:
        return MetricSchema(
            loss=self.loss,
            validation=self.validation,
            higher_is_better=self.higher_is_better,
            lower_is_better=self.lower_is_better,
            percent=self.percent,
            lr=self.lr,
            grad_norm=self.grad_norm,
            throughput=self.throughput,
            display_names=dict(self.display_names),
            groups={k: tuple(v) for k, v in self.groups.items()},
            thresholds=dict(self.thresholds),
        )


class Settings(BaseModel):
    """Everything configurable, validated once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: Path = Field(default=Path("."), description="discovery root for local runs")
    format: OutputFormat = "text"
    budget: int | None = Field(default=None, ge=50, le=100_000, description="token budget for summaries")
    color: bool = True
    verbose: bool = False
    quiet: bool = False
    step_key: str | None = Field(default=None, description="JSONL field holding the step")
    tensorboard_layout: Literal["folder", "merge-splits"] = "folder"
    schema_file: Path | None = Field(default=None, alias="schema_file")
    metric_schema: SchemaModel = Field(default_factory=SchemaModel, alias="schema")
    roots: tuple[Path, ...] = ()
    tokenizer: str = "estimate"
    cache_size: int = Field(default=16, ge=1, le=1024)

    def schema(self) -> MetricSchema:
        return self.metric_schema.to_domain()

    @classmethod
    def load(cls, *, cwd: Path | None = None, env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
        """Config file, then RUNWISE_* environment variables, then flags (None flags are ignored)."""
        cwd = cwd or Path.cwd()
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        source = "defaults"
        file_values, source = _read_config_file(cwd)
        values.update(file_values)
        values.update(_env_values(env))
        values.update({k: v for k, v in flags.items() if v is not None})
        if "NO_COLOR" in env and "color" not in flags:
            values["color"] = False
        schema_path = values.get("schema_file")
        if schema_path:
            values["schema"] = load_schema_file(Path(schema_path))
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, source)) from None


def _read_config_file(cwd: Path) -> tuple[dict[str, Any], str]:
    for folder in (cwd, *cwd.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            data = _load_toml(candidate)
            return _relative_paths(data, folder), str(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _load_toml(pyproject).get("tool", {}).get("runwise")
            if isinstance(tool, dict):
                return _relative_paths(tool, folder), f"{pyproject} [tool.runwise]"
        if (folder / ".git").exists():
            break
    return {}, "defaults"


def _relative_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(data)
    for key in ("dir", "schema_file"):
        if isinstance(out.get(key), str):
            out[key] = str(base / out[key])
    if isinstance(out.get("roots"), list):
        out["roots"] = [str(base / r) for r in out["roots"]]
    return out


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", "check the file exists and is UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax at that line") from None


_ENV_KEYS = {
    "RUNWISE_DIR": "dir",
    "RUNWISE_FORMAT": "format",
    "RUNWISE_BUDGET": "budget",
    "RUNWISE_STEP_KEY": "step_key",
    "RUNWISE_SCHEMA": "schema_file",
    "RUNWISE_TOKENIZER": "tokenizer",
    "RUNWISE_TB_LAYOUT": "tensorboard_layout",
    "RUNWISE_CACHE_SIZE": "cache_size",
}


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {field: env[name] for name, field in _ENV_KEYS.items() if env.get(name)}
    roots = env.get("RUNWISE_ROOTS")
    if roots:
        values["roots"] = [r for r in roots.split(os.pathsep) if r]
    return values


def load_schema_file(path: Path) -> dict[str, Any]:
    """Read a schema file (TOML or JSON); a top-level [schema] table is accepted too."""
    if not path.is_file():
        raise ConfigError(f"schema file {path} does not exist", "check the path, or create one with: runwise init")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}", "fix the syntax") from None
    else:
        data = _load_toml(path)
    data = data.get("schema", data) if isinstance(data, dict) else data
    try:
        return SchemaModel.model_validate(data).model_dump()
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(path))) from None


def _describe(exc: ValidationError, source: str) -> str:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "(top level)"
    fix = {
        "extra_forbidden": "remove it or check the spelling (see the README's configuration section)",
        "literal_error": "use one of the allowed values",
    }.get(error["type"], "correct its value")
    more = f" (+{exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return f"{source}: field '{field}': {error['msg']} — {fix}{more}"
