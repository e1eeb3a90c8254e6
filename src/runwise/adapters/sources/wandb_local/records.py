"""Record types of a `.wandb` file, told apart for a whole batch at once, and the few decoded one by one.

A Record is `num` (field 1), one field of its `record_type` oneof (history=2, summary=3,
output=4, config=5, output_raw=13, run=17, exit=18, environment=26, ...) and bookkeeping fields
(`control`=16, `uuid`=19, `_info`=200). The service writes the oneof right after `num`; records that
come from the training process may put the bookkeeping first, so those few are walked field by field.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from runwise.adapters.sources.wandb_local import proto
from runwise.adapters.sources.wandb_local.summary import decode_json
from runwise.adapters.sources.wandb_local.wire import I64, Mask, fields, one_field, varint
from runwise.domain.shared_repr import fields_repr

HISTORY, SUMMARY, OUTPUT, CONFIG, OUTPUT_RAW, RUN, EXIT, ENVIRONMENT = 2, 3, 4, 5, 13, 17, 18, 26
BOOKKEEPING = (1, 16, 19, 200)  # num, control, uuid, _info
DECODED = (CONFIG, RUN, EXIT, ENVIRONMENT)  # decoded whole with protobuf (few per file)
CONSOLE = (OUTPUT, OUTPUT_RAW)


@attrs.frozen
class Kinds:
    """Per record: the number of its first field after `num`, and that field's payload span."""

    __repr__ = fields_repr

    field: I64  # -1 when the record does not parse, 0 when it is empty
    start: I64
    end: I64

    def of(self, *numbers: int) -> I64:
        hit = self.field == numbers[0]
        for number in numbers[1:]:  # a few numbers: comparisons cost less than np.isin's set machinery
            hit |= self.field == number
        return np.nonzero(hit)[0]


def classify(u: np.ndarray, starts: I64, ends: I64) -> Kinds:
    """Read `num` (if present), then the next tag and length, for every record at once."""
    field, start, end = _classify_words(u, starts, ends)
    later = np.nonzero(np.isin(field, BOOKKEEPING))[0]
    if later.size:
        _find_oneof(u, starts[later], ends[later], later, field, start, end)
    return Kinds(field, start, end)


def _classify_words(u: np.ndarray, starts: I64, ends: I64) -> tuple[I64, I64, I64]:
    """The first field after `num` of every record: its number (-1: damaged, 0: none) and its payload span.

    The usual record (`num` of up to four varint bytes, a one-byte tag, a length of one or two bytes) is read from
    one 8-byte word per record; the others go through `_classify_general`, which reads byte by byte. On the
    100k-step bench run (300k records; each segment copied into one buffer before its call, as a read leaves it; CPU
    best of 15, load average 0.3): 8.9 ms per read byte by byte, 7.0 ms from the words.
    """
    head = np.ndarray(shape=(max(u.size - 7, 0),), dtype="<u8", buffer=u, strides=(1,))[starts]
    has_num = ((head & np.uint64(0xFF)) == 0x08) & (starts < ends)
    more = (head >> np.uint64(8)) & np.uint64(0x80808080)  # the high bits of the varint's first four bytes
    size = 1 + (more & 0x80 != 0) + (more & 0x8080 == 0x8080) + (more & 0x808080 == 0x808080)
    skip = np.where(has_num, 1 + size, 0)
    rest = head >> (skip * 8).astype(np.uint64)  # the field after `num` in the low bytes
    tag = (rest & np.uint64(0xFF)).astype(np.int64)
    first = ((rest >> np.uint64(8)) & np.uint64(0xFF)).astype(np.int64)
    second = ((rest >> np.uint64(16)) & np.uint64(0xFF)).astype(np.int64)
    two = first >= 0x80
    simple = ((tag & 0x87) == 2) & (skip + 2 + two <= 8) & ~(two & (second >= 0x80)) & ~(more == 0x80808080)
    pos = starts + skip
    start = pos + 2 + two
    end = start + np.where(two, (first & 0x7F) | (second << 7), first)
    field = np.where(simple & (end <= ends) & (pos < ends) & (tag >= 8), tag >> 3, -1)
    field[pos >= ends] = 0  # nothing after `num`: an empty record, not a damaged one
    other = np.nonzero(~simple & (pos < ends))[0]
    if other.size:
        field[other], start[other], end[other] = _classify_general(u, starts[other], ends[other])
    return field, start, end


def _classify_general(u: np.ndarray, starts: I64, ends: I64) -> tuple[I64, I64, I64]:
    """`num` and the next field's tag and length read byte by byte: varints of any size, tags of two bytes."""
    has_num = (u[starts] == 0x08) & (starts < ends)
    # the varint's size from the high bits of its first four bytes, in one read; longer ones decoded apart
    more = np.ndarray(shape=(max(u.size - 3, 0),), dtype="<u4", buffer=u, strides=(1,))[starts + 1] & 0x80808080
    size = 1 + (more & 0x80 != 0) + (more & 0x8080 == 0x8080) + (more & 0x808080 == 0x808080)
    pos = starts + np.where(has_num, 1 + size, 0)
    long = np.nonzero(has_num & (more == 0x80808080))[0]
    ok_num = np.ones(long.size, bool)
    if long.size:
        _, long_size, ok_num = varint(u, starts[long] + 1)
        pos[long] = starts[long] + 1 + long_size
    number, wire, start, end, _, ok = one_field(u, pos)
    valid: Mask = ok & (wire == 2) & (end <= ends) & (pos < ends)
    valid[long[~ok_num]] = False
    field = np.where(valid, number, -1)
    field[pos >= ends] = 0
    return field, start, end


def _find_oneof(u: np.ndarray, starts: I64, ends: I64, which: I64, field: I64, start: I64, end: I64) -> None:
    """For records with bookkeeping fields first: the first field that is not bookkeeping."""
    f = fields(u, starts, ends, stop_after=8)
    field[which] = np.where(f.broken, -1, 0)
    pick = (~np.isin(f.number, BOOKKEEPING)) & (f.wire == 2) & ~f.broken[f.owner]
    owner = f.owner[pick]
    first = np.unique(owner, return_index=True)[1]  # fields are in file order: first hit per record
    rows = np.nonzero(pick)[0][first]
    at = which[f.owner[rows]]
    field[at] = f.number[rows]
    start[at] = f.start[rows]
    end[at] = f.end[rows]


@attrs.define
class RunMeta:
    """What the run, environment and exit records say about a run."""

    __repr__ = fields_repr

    run_id: str | None = None
    entity: str | None = None
    project: str | None = None
    name: str | None = None
    notes: str | None = None
    tags: tuple[str, ...] = ()
    group: str | None = None
    job_type: str | None = None
    host: str | None = None
    program: str | None = None
    start_time: float | None = None
    git_commit: str | None = None
    git_remote: str | None = None
    exit_code: int | None = None
    exit_runtime: float | None = None
    gpu_type: str | None = None
    gpu_count: int | None = None
    config: dict[str, Any] = attrs.field(factory=dict)

    def apply(self, record: Any) -> None:
        """Fold one decoded Record into what is known."""
        if record.HasField("run"):
            self._run(record.run)
        elif record.HasField("config"):
            apply_config(self.config, record.config)
        elif record.HasField("exit"):
            self.exit_code = int(record.exit.exit_code)
            self.exit_runtime = float(record.exit.runtime) if record.exit.runtime else None
        elif record.HasField("environment"):
            env = record.environment
            self.program = self.program or env.program or None
            self.host = self.host or env.host or None
            self.gpu_type = self.gpu_type or env.gpu_type or None
            self.gpu_count = self.gpu_count or int(env.gpu_count) or None
            if env.HasField("started_at") and self.start_time is None:
                self.start_time = env.started_at.seconds + env.started_at.nanos / 1e9
            self._git(env.git if env.HasField("git") else None)

    def _run(self, run: Any) -> None:
        self.run_id = run.run_id or self.run_id
        self.entity = run.entity or self.entity
        self.project = run.project or self.project
        self.name = run.display_name or self.name
        self.notes = run.notes or self.notes
        self.tags = tuple(run.tags) or self.tags
        self.group = run.run_group or self.group
        self.job_type = run.job_type or self.job_type
        self.host = run.host or self.host
        if run.HasField("start_time"):
            self.start_time = run.start_time.seconds + run.start_time.nanos / 1e9
        self._git(run.git if run.HasField("git") else None)
        if run.HasField("config"):
            apply_config(self.config, run.config)

    def _git(self, git: Any) -> None:
        if git is not None:
            self.git_commit = git.commit or self.git_commit
            self.git_remote = git.remote_url or self.git_remote


def apply_config(config: dict[str, Any], record: Any) -> None:
    """Apply a ConfigRecord's updates and removals; nested keys make nested dicts, as in W&B."""
    for item in record.update:
        path = list(item.nested_key) or [item.key]
        node = config
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = decode_json(item.value_json.encode())
    for item in record.remove:
        path = list(item.nested_key) or [item.key]
        node = config
        for part in path[:-1]:
            child = node.get(part)
            node = child if isinstance(child, dict) else {}
        node.pop(path[-1], None)


def decode_record(payload: bytes) -> Any | None:
    """A whole Record with the minimal message set; None when it does not parse."""
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped,unused-ignore]

    try:
        return proto.parse("Record", payload)
    except DecodeError:
        return None


def console_text(records: list[Any], max_lines: int, max_chars: int) -> str:
    """The last lines of console output from output/output_raw records (fragments joined in order)."""
    parts = []
    for record in records:
        out = record.output_raw if record.HasField("output_raw") else record.output
        parts.append(out.line)
    text = "".join(parts).replace("\r\n", "\n")
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]  # progress bars: keep the last redraw
    while lines and not lines[-1].strip():
        lines.pop()
    tail = "\n".join(lines[-max_lines:])
    return tail[-max_chars:]
