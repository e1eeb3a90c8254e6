"""`wandb://entity/project[/run_id]` references to runs in the W&B cloud (or a W&B server)."""

from __future__ import annotations

import attrs

from runwise.domain.errors import InvalidInput
from runwise.domain.shared_repr import fields_repr

SCHEME = "wandb://"


@attrs.frozen
class WandbUri:
    """A project in the W&B cloud, and optionally one run of it."""

    __repr__ = fields_repr

    entity: str
    project: str
    run_id: str | None = None

    @property
    def project_path(self) -> str:
        return f"{self.entity}/{self.project}"

    def run_path(self, run_id: str) -> str:
        return f"{self.entity}/{self.project}/{run_id}"

    def __str__(self) -> str:
        return SCHEME + (self.run_path(self.run_id) if self.run_id else self.project_path)


def parse_uri(text: str) -> WandbUri:
    """`wandb://entity/project`, `wandb://entity/project/run_id` (W&B's `runs/` segment allowed) or `entity/project`."""
    body = text.strip().removeprefix(SCHEME).strip("/")
    parts = [p for p in body.split("/") if p]
    if len(parts) == 4 and parts[2] == "runs":  # pasted from a run's web address
        parts = [parts[0], parts[1], parts[3]]
    if len(parts) not in (2, 3):
        raise InvalidInput(
            f"'{text}' is not a W&B cloud reference", "write wandb://ENTITY/PROJECT or wandb://ENTITY/PROJECT/RUN_ID"
        )
    return WandbUri(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
