"""The metric schema file format, validated with pydantic so errors name the file, the field and the fix."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from runwise.domain.errors import ConfigError
from runwise.domain.schema import MetricSchema


def _patterns(value: Any) -> tuple[str, ...]:
    """A key pattern or a list of them; anything else is a one-line error (`loss = 3` was a TypeError)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError('must be a key or pattern, or a list of them, e.g. ["train/loss", "val/*"]')


def did_you_mean(name: str, known: list[str] | tuple[str, ...] | set[str]) -> str:
    """` (did you mean 'spike_z'?)` when a known name is close, else ''."""
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


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

    @field_validator("thresholds", mode="after")
    @classmethod
    def _known_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        from runwise.domain.analysis import THRESHOLD_DEFAULTS

        for name in value:
            if name not in THRESHOLD_DEFAULTS:
                known = ", ".join(sorted(THRESHOLD_DEFAULTS))
                raise ValueError(
                    f"unknown threshold '{name}'{did_you_mean(name, set(THRESHOLD_DEFAULTS))}; known: {known}"
                )
        return value

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


def validate(data: Any, source: str) -> dict[str, Any]:
    """Validated schema fields as plain data, or a ConfigError naming the source, field and fix."""
    try:
        return SchemaModel.model_validate(data).model_dump()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "(top level)"
        fix = {
            "extra_forbidden": "remove it or check the spelling (see the README's configuration section)",
            "literal_error": "use one of the allowed values",
        }.get(error["type"], "correct its value")
        if error["type"] == "extra_forbidden" and error["loc"]:
            fix = did_you_mean(str(error["loc"][-1]), set(SchemaModel.model_fields)).strip() + " " + fix
            fix = fix.strip()
        if error["type"] == "value_error":
            error["msg"] = str(error["msg"]).removeprefix("Value error, ")
        more = f" (+{exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{source}: field '{field}': {error['msg']} — {fix}{more}") from None
