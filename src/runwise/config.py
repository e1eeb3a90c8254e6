"""Settings from `runwise.toml` / `[tool.runwise]`, then `RUNWISE_*` variables, then flags.

Adapters never read the environment: everything they need arrives through Settings.
Metric schemas are validated with pydantic in runwise.schema_file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from runwise.config_file import load_toml, read_config_file
from runwise.domain.errors import ConfigError
from runwise.domain.hints import Call, say
from runwise.domain.schema import MetricSchema
from runwise.domain.shared_repr import fields_repr

OutputFormat = Literal["text", "md", "json"]


_FORMATS = ("text", "md", "json")
_TB_LAYOUTS = ("auto", "splits", "folders")


def _path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(str(value))


def _dir(value: Any) -> Path | str:
    """A folder, or a remote project URI (`wandb://entity/project`) kept as text: Path would fold its `//`."""
    text = str(value)
    return text if "://" in text else _path(value)


def _optional_path(value: Any) -> Path | None:
    return None if value in (None, "") else _path(value)


def _roots(value: Any) -> tuple[Path, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, (str, Path)):
        value = [value]
    return tuple(_path(v) for v in value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@attrs.frozen(kw_only=True)
class Settings:
    """Everything configurable, validated once. attrs rather than pydantic: every CLI call builds one,
    and pydantic's model machinery costs ~80 ms of start-up; schema files still go through pydantic."""

    __repr__ = fields_repr

    dir: Path | str = attrs.field(default=Path("."), converter=_dir)
    format: OutputFormat = "text"
    budget: int | None = None
    color: bool = attrs.field(default=True, converter=_bool)
    verbose: bool = attrs.field(default=False, converter=_bool)
    quiet: bool = attrs.field(default=False, converter=_bool)
    step_key: str | None = None
    tensorboard_layout: Literal["auto", "splits", "folders"] = "auto"
    schema_file: Path | None = attrs.field(default=None, converter=_optional_path)
    schema_data: Mapping[str, Any] | None = None  # validated schema fields from a file or [schema] table
    roots: tuple[Path, ...] = attrs.field(default=(), converter=_roots)
    tokenizer: str = "estimate"
    cache_size: int = 16
    cache: bool = attrs.field(default=True, converter=_bool)  # parsed runs kept on disk between calls
    cache_dir: Path | None = attrs.field(default=None, converter=_optional_path)  # None: the user cache folder
    cache_max_mb: int = 2048
    # MLflow's own variables, read the way its client reads them: a tracking URI (server, sqlite or
    # file store) whose runs are listed beside the ones under --dir, and the server's credentials
    mlflow_tracking_uri: str | None = None
    mlflow_tracking_token: str | None = None
    mlflow_tracking_username: str | None = None
    mlflow_tracking_password: str | None = None
    prices: Mapping[str, float] = attrs.field(factory=dict)  # USD per accelerator-hour over the shipped table
    slack_webhook: str | None = None  # --notify slack, runwise notify slack

    def schema(self) -> MetricSchema:
        if not self.schema_data:
            return MetricSchema()
        from runwise.schema_file import SchemaModel

        return SchemaModel.model_validate(dict(self.schema_data)).to_domain()

    def model_copy(self, *, update: Mapping[str, Any]) -> Settings:
        """A copy with some fields changed (same call as on a pydantic model)."""
        return attrs.evolve(self, **dict(update))

    @classmethod
    def load(cls, *, cwd: Path | None = None, env: Mapping[str, str] | None = None, **flags: Any) -> Settings:
        """Config file, then RUNWISE_* environment variables, then flags (None flags are ignored)."""
        cwd = cwd or Path.cwd()
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        origin: dict[str, str] = {}
        file_values, source = read_config_file(cwd)
        for layer, name in ((file_values, source), (_env_values(env), "environment"), (flags, "flags")):
            for key, value in layer.items():
                if value is not None:
                    values[key] = value
                    origin[key] = name
        if "NO_COLOR" in env and "color" not in flags:
            values["color"] = False
        inline_schema = values.pop("schema", None)
        if values.get("schema_file"):
            values["schema_data"] = load_schema_file(_path(values["schema_file"]))
        elif inline_schema is not None:
            values["schema_data"] = validate_schema(inline_schema, origin.get("schema", source) + " [schema]")
        return _validated(values, origin)


def _validated(values: dict[str, Any], origin: Mapping[str, str]) -> Settings:
    def fail(key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{origin.get(key, 'settings')}: field '{key}': {problem} — {fix}")

    known = {a.name for a in attrs.fields(Settings)}
    for key in values:
        if key not in known:
            from runwise.schema_file import did_you_mean

            raise fail(
                key,
                "unknown setting" + did_you_mean(key, known),
                "remove it or check the spelling (see the README's configuration section)",
            )
    if values.get("format", "text") not in _FORMATS:
        raise fail(
            "format", f"'{values['format']}' is not one of {', '.join(_FORMATS)}", "use one of the allowed values"
        )
    if values.get("tensorboard_layout", "auto") not in _TB_LAYOUTS:
        raise fail(
            "tensorboard_layout",
            f"'{values['tensorboard_layout']}' is not one of {', '.join(_TB_LAYOUTS)}",
            "use one of the allowed values",
        )
    for key, low, high in (("budget", 50, 100_000), ("cache_size", 1, 1024), ("cache_max_mb", 1, 10_000_000)):
        if values.get(key) is None:
            continue
        try:
            number = int(values[key])
        except (TypeError, ValueError):
            raise fail(key, f"'{values[key]}' is not a whole number", f"use a number from {low} to {high}") from None
        if not low <= number <= high:
            raise fail(key, f"{number} is out of range", f"use a number from {low} to {high}")
        values[key] = number
    prices = values.get("prices")
    if prices is not None and (
        not isinstance(prices, Mapping)
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in prices.values())
    ):
        raise fail("prices", "must map accelerator names to USD per hour", 'write e.g. prices = { "H100" = 2.49 }')
    return Settings(**values)


_ENV_KEYS = {
    "RUNWISE_DIR": "dir",
    "RUNWISE_FORMAT": "format",
    "RUNWISE_BUDGET": "budget",
    "RUNWISE_STEP_KEY": "step_key",
    "RUNWISE_SCHEMA": "schema_file",
    "RUNWISE_TOKENIZER": "tokenizer",
    "RUNWISE_TB_LAYOUT": "tensorboard_layout",
    "RUNWISE_CACHE_SIZE": "cache_size",
    "RUNWISE_CACHE_DIR": "cache_dir",
    "RUNWISE_CACHE_MAX_MB": "cache_max_mb",
    "MLFLOW_TRACKING_URI": "mlflow_tracking_uri",
    "MLFLOW_TRACKING_TOKEN": "mlflow_tracking_token",
    "MLFLOW_TRACKING_USERNAME": "mlflow_tracking_username",
    "MLFLOW_TRACKING_PASSWORD": "mlflow_tracking_password",
    "RUNWISE_SLACK_WEBHOOK": "slack_webhook",
}


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {field: env[name] for name, field in _ENV_KEYS.items() if env.get(name)}
    if _bool(env.get("RUNWISE_NO_CACHE", "")):
        values["cache"] = False
    roots = env.get("RUNWISE_ROOTS")
    if roots:
        values["roots"] = [r for r in roots.split(os.pathsep) if r]
    return values


def load_schema_file(path: Path) -> dict[str, Any]:
    """Read and validate a schema file (TOML or JSON); a top-level [schema] table is accepted too."""
    if not path.is_file():
        raise ConfigError(
            f"schema file {path} does not exist", say("check the path, or draft one with ", Call.of("init"))
        )
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}", "fix the syntax") from None
    else:
        data = load_toml(path)
    data = data.get("schema", data) if isinstance(data, dict) else data
    return validate_schema(data, str(path))


def validate_schema(data: Any, source: str) -> dict[str, Any]:
    """Validate schema fields with pydantic (imported only when a schema is configured)."""
    from runwise.schema_file import validate

    return validate(data, source)
