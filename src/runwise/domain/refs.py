"""Run references: `latest`, id, name prefix, path, `SOURCE:REF`, remote URIs, each with an optional `@STEP`."""

from __future__ import annotations

import re

import attrs

from runwise.domain.errors import InvalidInput
from runwise.domain.shared_repr import fields_repr

SOURCE_ALIASES = {
    "jsonl": "jsonl",
    "wandb": "wandb",
    "wandb-cloud": "wandb-cloud",
    "tb": "tensorboard",
    "tensorboard": "tensorboard",
    "mlflow": "mlflow",
    "aim": "aim",
    "neptune": "neptune",
    "memory": "memory",
    "hf": "hf",
    "huggingface": "hf",
    "lightning": "lightning",
    "pl": "lightning",
    "keras": "keras",
    "ultralytics": "ultralytics",
    "yolo": "ultralytics",
    "text": "text",
}
_STEP_SUFFIX = re.compile(r"@(-?[0-9][0-9_,]*)$")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://")


@attrs.frozen
class RunRef:
    """A parsed reference. `source` is None when any source may answer."""

    __repr__ = fields_repr

    ref: str
    source: str | None = None
    step: int | None = None

    @property
    def is_latest(self) -> bool:
        return self.ref == "latest"

    @property
    def is_uri(self) -> bool:
        return bool(_URI.match(self.ref))

    def __str__(self) -> str:
        text = f"{self.source}:{self.ref}" if self.source else self.ref
        return f"{text}@{self.step}" if self.step is not None else text


def parse_ref(text: str) -> RunRef:
    """Parse a REF. Raises InvalidInput with the accepted forms when it is empty or malformed."""
    raw = text.strip()
    if not raw:
        raise InvalidInput("empty run reference", "use 'latest', a run id, a name prefix, a path or SOURCE:REF")
    step: int | None = None
    match = _STEP_SUFFIX.search(raw)
    if match:
        step_text = match.group(1).replace("_", "").replace(",", "")
        step = int(step_text)
        if step < 0:
            raise InvalidInput(f"step in '{raw}' is negative", "use REF@STEP with a step of 0 or more")
        raw = raw[: match.start()]
        if not raw:
            raise InvalidInput(f"'{text}' has a step but no run", "write REF@STEP, e.g. latest@5000")
    if raw.startswith("wandb://"):
        return RunRef(raw, "wandb", step)
    if _URI.match(raw):
        return RunRef(raw, None, step)
    prefix, sep, rest = raw.partition(":")
    if sep and prefix.lower() in SOURCE_ALIASES and rest:
        return RunRef(rest, SOURCE_ALIASES[prefix.lower()], step)
    return RunRef(raw, None, step)
