"""History rows of a `.wandb` file accumulated as numpy columns, one set per metric key.

Each `wandb.log` call writes one HistoryRecord: items `key`/`nested_key` + `value_json`, and a
`step`. Per batch of records this module decodes every item at once (`wire`), groups them by key
(`keys`), parses the numeric values in one numpy call and appends one array per key. `_step`
gives the step (the record's `step` field first, the `_step` item next, the row count last),
`_timestamp` the wall time, `_runtime` only the summary. Non-numeric values (media, tables,
strings, booleans) are not series; the last value of every key still feeds the summary.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import attrs
import numpy as np
from google.protobuf.message import DecodeError  # type: ignore[import-untyped,unused-ignore]
from numpy.typing import NDArray

from runwise.adapters.sources.wandb_local import proto
from runwise.adapters.sources.wandb_local.batches import RecordBatch
from runwise.adapters.sources.wandb_local.history_items import history_items
from runwise.adapters.sources.wandb_local.keys import KeyNames, groups
from runwise.adapters.sources.wandb_local.numbers import numbers
from runwise.adapters.sources.wandb_local.summary import Candidates
from runwise.adapters.sources.wandb_local.wire import I64, varint, words
from runwise.domain.model import MetricSeries, sorted_series
from runwise.domain.shared_repr import fields_repr

NOT_SERIES = frozenset({"_step", "_timestamp", "_runtime"})


def _is_series(name: str) -> bool:
    return name not in NOT_SERIES and not name.startswith("_wandb")


@attrs.frozen
class HistoryPart:
    """One batch of history records, decoded; `HistoryBuilder.add` files it in file order.

    `columns` hold, per key, the index of each point's record within the batch and its value;
    steps and wall times are per record (-1 where a record has no step: the row count decides).
    """

    __repr__ = fields_repr

    steps: I64
    walls: NDArray[np.float64]
    columns: list[tuple[str, I64, NDArray[np.float64]]]
    candidates: Candidates
    item_bytes: I64
    undecodable: int
    bad_values: int = 0  # items whose value text does not parse (not a number, string or media): skipped


class HistoryBuilder:
    """Decodes history batches (`decode`, safe to run in worker threads) and files them in order (`add`)."""

    def __init__(self, names: KeyNames, keys: Collection[str] | None = None) -> None:
        self.keys = None if keys is None else frozenset(keys)
        self.names = names
        self.rows = 0
        self.undecodable = 0
        self.bad_values = 0
        self.last_step: int | None = None
        # Values, steps and wall times go straight into arrays that grow by doubling (pages not yet written cost no
        # memory), so the columns are never held twice: no list of per-batch pieces concatenated at the end.
        # Per key, per batch it appears in: (batch number, steps, walls); steps and walls are None when the key was
        # logged on every record of the batch, which then shares the batch's own slice of the step and wall arrays.
        self._values: dict[str, Growing] = {}
        self._cols: dict[str, list[tuple[int, I64 | None, NDArray[np.float64] | None]]] = {}
        self._steps = Growing(np.int64)
        self._walls = Growing(np.float64)
        self._bounds: list[tuple[int, int]] = []

    def _wanted(self, name: str) -> bool:
        return _is_series(name) and (self.keys is None or name in self.keys)

    # one batch, any thread ---------------------------------------------------------------------
    def decode(self, batch: RecordBatch, rec: I64, start: I64, end: I64) -> HistoryPart:
        """Decode the HistoryRecords `batch.buf[start:end]` (records `rec` of the batch)."""
        u, w = batch.buf, words(batch.buf)
        walked = history_items(u, start, end)
        steps = np.full(rec.size, -1, np.int64)
        walls = np.full(rec.size, np.nan)
        candidates = Candidates()
        self._record_steps(u, walked.step_owner, walked.step_start, walked.step_end, steps)
        owner, it = walked.owner, walked.items
        if it.fast.all():
            fast = np.arange(it.fast.size)
            found = list(groups(u, w, it.start, it.key_end, self.names, it.key_id, it.exact))
        else:
            fast = np.nonzero(it.fast)[0]
            found = list(groups(u, w, it.start[fast], it.key_end[fast], self.names, it.key_id[fast], it.exact[fast]))
        slow, bad_values = _slow_items(batch, it, owner, np.nonzero(~it.fast)[0])
        for name, members in found:
            if name == "_step" and (steps < 0).any():  # records without a step field: the `_step` item
                idx = fast[members]
                need = idx[steps[owner[idx]] < 0]
                vals, good = numbers(u, w, it.value_start[need], it.value_end[need])
                steps[owner[need[good]]] = vals[good].astype(np.int64)
        columns, bad = self._columns(batch, rec, it, owner, fast, found, candidates, walls)
        bad_values += bad
        for name, own, value in slow:
            if name == "_step" and steps[own] < 0 and isinstance(value, float):
                steps[own] = int(value)
            elif name == "_timestamp" and isinstance(value, float):
                walls[own] = value
        for name, own, value in slow:
            if value is _UNREADABLE:
                continue
            candidates.offer_value(name, int(batch.offsets[rec[own]]), value)
            if isinstance(value, float) and self._wanted(name):
                columns.append((name, np.array([own]), np.array([value])))
        undecodable = 0
        for i in np.nonzero(walked.broken)[0].tolist():
            lost, bad = self._broken_record(
                batch, rec, i, u[start[i] : end[i]].tobytes(), steps, walls, columns, candidates
            )
            undecodable += lost
            bad_values += bad
        return HistoryPart(steps, walls, columns, candidates, walked.item_bytes, undecodable, bad_values)

    @staticmethod
    def _record_steps(u: NDArray[np.uint8], owner: I64, start: I64, end: I64, steps: I64) -> None:
        """HistoryStep{num=1}: an empty message is step 0."""
        steps[owner] = 0
        has_num = (end > start) & (u[start] == 0x08)
        num, _, ok = varint(u, start[has_num] + 1)
        steps[owner[has_num][ok]] = num[ok]

    def _columns(
        self,
        batch: RecordBatch,
        rec: I64,
        it: Any,
        owner: I64,
        fast: I64,
        found: list[tuple[str, I64]],
        candidates: Candidates,
        walls: NDArray[np.float64],
    ) -> tuple[list[tuple[str, I64, NDArray[np.float64]]], int]:
        """Each wanted key's points, and how many of its value texts do not parse at all; `_timestamp` items fill
        `walls` (parsed in the same call)."""
        u, w = batch.buf, words(batch.buf)
        every = fast.size == 0 or fast[-1] == fast.size - 1  # every item took the fast path: `fast` is 0, 1, ...
        wanted = [(name, m if every else fast[m]) for name, m in found if self._wanted(name)]
        stamps = [m if every else fast[m] for name, m in found if name == "_timestamp"]
        for name, members in found:
            last = int(fast[members[-1]])
            candidates.offer(name, int(batch.offsets[rec[owner[last]]]), u[it.value_start[last] : it.value_end[last]])
        if not wanted and not stamps:
            return [], 0
        idx = np.concatenate([m for _, m in wanted] + stamps)
        values, good = numbers(u, w, it.value_start[idx], it.value_end[idx])
        bounds = np.cumsum([0] + [m.size for _, m in wanted]).tolist()
        if stamps:
            lo = bounds[-1]
            stamp, ok = idx[lo:], good[lo:]
            walls[owner[stamp[ok]]] = values[lo:][ok]
            idx, values, good = idx[:lo], values[:lo], good[:lo]
        bad = _malformed(u, it.value_start[idx[~good]], it.value_end[idx[~good]])
        out = []
        for (name, _), lo, hi in zip(wanted, bounds[:-1], bounds[1:]):
            keep = good[lo:hi]
            if keep.all():
                out.append((name, owner[idx[lo:hi]], values[lo:hi]))
            else:
                out.append((name, owner[idx[lo:hi][keep]], values[lo:hi][keep]))
        return out, bad

    def _broken_record(
        self,
        batch: RecordBatch,
        rec: I64,
        i: int,
        raw: bytes,
        steps: I64,
        walls: NDArray[np.float64],
        columns: list[tuple[str, I64, NDArray[np.float64]]],
        candidates: Candidates,
    ) -> tuple[int, int]:
        """A record the vectorised walk could not split: protobuf decodes it, or it is counted lost.
        Returns (records lost, values that do not parse)."""
        try:
            record = proto.parse("HistoryRecord", raw)
        except DecodeError:
            return 1, 0
        decoded = {proto.item_key(item): _item_value(item) for item in record.item}
        values = {name: value for name, value in decoded.items() if value is not _UNREADABLE}
        step = record.step.num if record.HasField("step") else values.get("_step")
        steps[i] = int(step) if isinstance(step, float | int) else -1
        wall = values.get("_timestamp")
        walls[i] = float(wall) if isinstance(wall, float) else np.nan
        order = int(batch.offsets[rec[i]])
        for name, value in values.items():
            candidates.offer_value(name, order, value)
            if isinstance(value, float) and self._wanted(name):
                columns.append((name, np.array([i]), np.array([value])))
        return 0, len(decoded) - len(values)

    # in file order, one thread -----------------------------------------------------------------
    def add(self, part: HistoryPart) -> None:
        """File a decoded batch; batches must come in file order (steps of rows without one count rows)."""
        steps = part.steps
        missing = steps < 0
        if missing.any():
            steps[missing] = self.rows + np.nonzero(missing)[0]  # rows without any step: count rows
        self.rows += steps.size
        if steps.size:
            self.last_step = int(steps[-1])
        self.undecodable += part.undecodable
        self.bad_values += part.bad_values
        number = len(self._bounds)
        self._bounds.append((self._steps.size, self._steps.size + steps.size))
        self._steps.extend(steps)
        self._walls.extend(part.walls)
        for name, own, values in part.columns:
            if name not in self._values:
                self._values[name], self._cols[name] = Growing(np.float64), []
            self._values[name].extend(values)
            if _every_record(own, steps.size):
                self._cols[name].append((number, None, None))
            else:
                self._cols[name].append((number, steps[own], part.walls[own]))

    def reserve(self, rows: int) -> None:
        """Make room for about `rows` rows in every column seen so far (the file's size over the bytes read so far
        tells how many are coming)."""
        for column in (self._steps, self._walls, *self._values.values()):
            column.reserve(rows)

    # result --------------------------------------------------------------------------------------
    def series(self) -> dict[str, MetricSeries]:
        """Every wanted key as a MetricSeries sorted by step (a re-logged step keeps its last value).

        Keys logged on every row of the same batches share one step array and one wall-time array: at a million
        rows x 8 keys that is 15 MiB of steps and walls instead of 122 MiB."""
        steps_all, walls_all = self._steps.view(), self._walls.view()
        shared: dict[tuple[int, ...], tuple[I64, NDArray[np.float64] | None]] = {}
        out: dict[str, MetricSeries] = {}
        for name in sorted(self._cols):
            parts, values = self._cols.pop(name), self._values.pop(name).view()
            if not values.size:
                continue  # logged, but never as a number (text, media, booleans)
            if all(p[1] is None for p in parts):
                steps, wall = self._shared(tuple(p[0] for p in parts), shared, steps_all, walls_all)
            else:
                spans = [self._bounds[p[0]] for p in parts]
                steps = np.concatenate(
                    [steps_all[lo:hi] if p[1] is None else p[1] for p, (lo, hi) in zip(parts, spans)]
                )
                walls = np.concatenate(
                    [walls_all[lo:hi] if p[2] is None else p[2] for p, (lo, hi) in zip(parts, spans)]
                )
                wall = None if np.isnan(walls).all() else walls
            out[name] = sorted_series(name, steps, values, wall)
        self._steps, self._walls, self._bounds = Growing(np.int64), Growing(np.float64), []
        return out

    def _shared(
        self,
        numbers: tuple[int, ...],
        shared: dict[tuple[int, ...], tuple[I64, NDArray[np.float64] | None]],
        steps_all: I64,
        walls_all: NDArray[np.float64],
    ) -> tuple[I64, NDArray[np.float64] | None]:
        """The steps and wall times of these batches, for every key that has them all: views of the whole arrays
        when the batches are every batch, else joined once."""
        found = shared.get(numbers)
        if found is None:
            if numbers == tuple(range(len(self._bounds))):
                steps, walls = steps_all, walls_all
            else:
                spans = [self._bounds[i] for i in numbers]
                steps = np.concatenate([steps_all[lo:hi] for lo, hi in spans])
                walls = np.concatenate([walls_all[lo:hi] for lo, hi in spans])
            found = shared[numbers] = (steps, None if np.isnan(walls).all() else walls)
        return found


class Growing:
    """A 1-D array filled at its end, growing by doubling; `view` is the filled part (no copy)."""

    def __init__(self, dtype: type) -> None:
        self.data: NDArray[Any] = np.empty(0, dtype)
        self.size = 0

    def extend(self, chunk: NDArray[Any]) -> None:
        need = self.size + chunk.size
        if need > self.data.size:
            grown = np.empty(max(need, 2 * self.data.size, 1024), self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : need] = chunk
        self.size = need

    def reserve(self, total: int) -> None:
        """Room for `total` items at once (an estimate from the first batch spares the copies of doubling)."""
        if total > self.data.size:
            grown = np.empty(total, self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown

    def view(self) -> NDArray[Any]:
        return self.data[: self.size]


def _every_record(own: I64, rows: int) -> bool:
    """Whether `own` (a key's record indices in a batch) is every record once, in order: 0, 1, ..., rows - 1."""
    return bool(
        own.size == rows and (rows == 0 or (own[0] == 0 and own[-1] == rows - 1 and (own[1:] > own[:-1]).all()))
    )


def _slow_items(batch: RecordBatch, it: Any, owner: I64, slow: I64) -> tuple[list[tuple[str, int, Any]], int]:
    """Items outside the usual layout (typed values, long keys), decoded by protobuf one by one; and how
    many of them could not be read (the item itself or its value text)."""
    out: list[tuple[str, int, Any]] = []
    bad = 0
    for i in slow.tolist():
        raw = batch.buf[it.start[i] : it.end[i]].tobytes()
        try:
            item = proto.parse("Item", raw)
        except DecodeError:
            bad += 1
            continue
        value = _item_value(item)
        bad += value is _UNREADABLE
        out.append((proto.item_key(item), int(owner[i]), value))
    return out, bad


_UNREADABLE = object()  # a value text that parses as nothing (`Nonsense`, 400 digits, nesting 100k deep)
_NONFINITE_TEXTS = frozenset({b"NaN", b"Infinity", b"-Infinity"})


def _malformed(u: NDArray[np.uint8], start: I64, end: I64) -> int:
    """How many of the value texts (already known not to be numbers) are not JSON either.

    Strings, media and tables parse; hostile texts do not. Only non-numbers come here, and JSON
    strings (the usual non-number) are passed over without parsing.
    """
    if not start.size:
        return 0
    import orjson

    quoted = (end - start >= 2) & (u[start] == ord('"')) & (u[np.maximum(end - 1, start)] == ord('"'))
    count = 0
    for lo, hi in zip(start[~quoted].tolist(), end[~quoted].tolist()):  # one string per step costs no parse
        text = u[lo:hi].tobytes().strip()
        if text in _NONFINITE_TEXTS:
            continue
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            count += 1
    return count


def _item_value(item: Any) -> Any:
    """A float for numbers (NaN/Inf kept), the decoded JSON otherwise, None for JSON null or a value of
    no known kind, `_UNREADABLE` when the value text does not parse."""
    from runwise.adapters.sources.wandb_local.summary import decode_json

    present = {f.name for f, _ in item.ListFields()}
    if "value_json" in present:
        text = item.value_json.encode()
        value = decode_json(text)
        if value is None and text.strip() != b"null":
            return _UNREADABLE
    elif "number" in present:
        value = item.number
    elif "integer" in present:
        value = item.integer
    elif "boolean" in present:
        value = item.boolean
    else:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer item beyond the float range: not a point
            return None
    return value
