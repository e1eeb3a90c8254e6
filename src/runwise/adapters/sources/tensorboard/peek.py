"""First and last events of a file without reading it all: what `list_runs` shows for each run."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import numpy as np

from runwise.adapters.fs import open_regular
from runwise.adapters.sources.tensorboard.crc32c import crc32c, mask
from runwise.adapters.sources.tensorboard.events import ParsedEvent, parse_event
from runwise.adapters.sources.tensorboard.hparams import hparams_session_state
from runwise.adapters.sources.tensorboard.records import FOOTER, HEADER, FrameReport, candidates, frame
from runwise.adapters.sources.tensorboard.wire import WireError
from runwise.domain.shared_repr import fields_repr

HEAD_BYTES = 16 * 1024
TAIL_BYTES = 64 * 1024


@attrs.frozen
class Peek:
    """Wall time of a file's first event, and step and wall time of its last one."""

    __repr__ = fields_repr

    first_wall: float | None = None
    last_wall: float | None = None
    last_step: int | None = None
    session_state: str | None = None  # from an hparams session_end_info near the end of the file


def peek(path: Path) -> Peek:
    """Head and tail of an event file; fields stay None where nothing whole and valid was found."""
    try:
        with open_regular(path) as stream:
            head = stream.read(HEAD_BYTES)
            size = os.fstat(stream.fileno()).st_size
            if size > HEAD_BYTES:
                stream.seek(max(0, size - TAIL_BYTES))
                tail, tail_base = stream.read(), max(0, size - TAIL_BYTES)
            else:
                tail, tail_base = head, 0
    except OSError:
        return Peek()
    first = _first_event(head)
    last_wall, last_step, state = _last_event(tail, from_start=tail_base == 0)
    return Peek(first.wall_time if first and first.wall_time > 0 else None, last_wall, last_step, state)


def _event(buf: bytes, start: int, length: int) -> ParsedEvent | None:
    stored = int.from_bytes(buf[start + length : start + length + FOOTER], "little")
    if int(mask(np.array([crc32c(buf[start : start + length])], dtype=np.uint32))[0]) != stored:
        return None
    try:
        return parse_event(buf, start, start + length)
    except (WireError, ValueError, IndexError):
        return None


def _first_event(head: bytes) -> ParsedEvent | None:
    frames = frame(head, FrameReport())
    for start, length in zip(frames.starts[:8].tolist(), frames.lengths[:8].tolist()):
        event = _event(head, start, length)
        if event is not None and event.wall_time > 0:
            return event
    return None


def _last_event(tail: bytes, *, from_start: bool) -> tuple[float | None, int | None, str | None]:
    """The tail starts mid-record unless it is the whole file: look for record headers backwards."""
    if from_start:
        frames = frame(tail, FrameReport())
        starts, lengths = frames.starts, frames.lengths
    else:
        cand, cand_len = candidates(np.frombuffer(tail, dtype=np.uint8))
        whole = cand + HEADER + cand_len + FOOTER <= len(tail)
        starts, lengths = cand[whole] + HEADER, cand_len[whole]
    wall: float | None = None
    step: int | None = None
    state: str | None = None
    for start, length in zip(starts[::-1][:64].tolist(), lengths[::-1][:64].tolist()):
        event = _event(tail, start, length)
        if event is None:
            continue
        if wall is None and event.wall_time > 0:
            wall = event.wall_time
        if event.values:  # the highest step among the last events: a histogram may close a step late
            step = event.step if step is None else max(step, event.step)
        for value in event.values:
            if value.kind == "hparams" and state is None:
                state = hparams_session_state(value.content)
    return wall, step, state
