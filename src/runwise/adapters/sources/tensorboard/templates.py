"""Templates: the fixed bytes of one kind of scalar event, and reading its numbers as whole columns.

A template is exact, not a heuristic: a record matches only if it equals the exemplar on every byte
outside the wall-time, step and value spans, and its step varint is well formed — i.e. only if
decoding it by hand would give the same structure with other numbers.
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.tensorboard.columns import Columns
from runwise.adapters.sources.tensorboard.events import _ITEMSIZE, ParsedEvent
from runwise.domain.shared_repr import fields_repr

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]


@attrs.frozen
class _Slot:
    __repr__ = fields_repr

    tag: str
    kind: str
    plugin: str | None
    at: int
    fmt: str


@attrs.frozen
class Template:
    """The fixed bytes of one kind of scalar event, and where its variable fields lie."""

    __repr__ = fields_repr

    exemplar: U8
    fixed: NDArray[np.intp]
    wall_at: int | None
    step_at: int | None
    step_len: int
    slots: tuple[_Slot, ...]

    @property
    def layout(self) -> tuple[object, ...]:
        return (self.exemplar.size, self.wall_at, self.step_at, self.step_len, tuple((s.at, s.fmt) for s in self.slots))

    def match(self, rows: U8) -> NDArray[np.bool_]:
        """Which rows are this kind of event."""
        hit: NDArray[np.bool_] = (rows[:, self.fixed] == self.exemplar[self.fixed]).all(axis=1)
        if self.step_at is not None:
            for j in range(self.step_len - 1):
                hit &= rows[:, self.step_at + j] >= 0x80
            hit &= rows[:, self.step_at + self.step_len - 1] < 0x80
        return hit


def template_of(event: ParsedEvent, payload: U8) -> Template | None:
    """A template when the event holds only scalars whose bytes have a fixed width."""
    if not event.summary_only or not event.values:
        return None
    for value in event.values:
        if value.kind not in ("simple", "tensor") or value.at is None or value.fmt is None:
            return None
        if value.plugin not in (None, "", "scalars"):
            return None
    variable = np.zeros(payload.size, dtype=bool)
    slots = []
    for value in event.values:
        assert value.at is not None and value.fmt is not None
        width = _ITEMSIZE[value.fmt]
        variable[value.at : value.at + width] = True
        slots.append(_Slot(value.tag, value.kind, value.plugin, value.at, value.fmt))
    if event.wall_at is not None:
        variable[event.wall_at : event.wall_at + 8] = True
    if event.step_at is not None:
        variable[event.step_at : event.step_at + event.step_len] = True
    return Template(
        payload.copy(), np.flatnonzero(~variable), event.wall_at, event.step_at, event.step_len, tuple(slots)
    )


def _column(rows: U8, at: int, fmt: str) -> NDArray[np.float64]:
    width = _ITEMSIZE[fmt]
    raw = np.ascontiguousarray(rows[:, at : at + width])
    if fmt == "bf16":
        return (raw.view("<u2").astype(np.uint32) << 16).view("<f4").ravel().astype(np.float64)
    return raw.view(fmt).ravel().astype(np.float64)


def _steps(rows: U8, template: Template) -> I64:
    if template.step_at is None:
        return np.zeros(rows.shape[0], dtype=np.int64)
    out = np.zeros(rows.shape[0], dtype=np.uint64)
    for j in range(template.step_len):
        out |= (rows[:, template.step_at + j] & 0x7F).astype(np.uint64) << np.uint64(7 * j)
    return out.view(np.int64)


def extract(template: Template, rows: U8, ordinals: I64, columns: Columns) -> None:
    if template.wall_at is None:
        walls = np.zeros(rows.shape[0], dtype=np.float64)
    else:
        walls = np.ascontiguousarray(rows[:, template.wall_at : template.wall_at + 8]).view("<f8").ravel()
        columns.saw_walls(float(walls.min()), float(walls.max()))
    steps = _steps(rows, template)
    for slot in template.slots:
        columns.add_points(slot.tag, slot.kind, slot.plugin, ordinals, steps, _column(rows, slot.at, slot.fmt), walls)
