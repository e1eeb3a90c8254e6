"""The `.wandb` reader's fast paths give what its general paths give, on records built with the protobuf runtime.

HistoryRecords and Records are serialised by the upb `protobuf` runtime (the reader's own message set, W&B's
field numbers), laid out the usual way and in every unusual way the fast paths hand over: nested keys, keys and
values longer than a one-byte length, typed values, fields after the step, cut records. The direct history walk
must split them exactly as the general protobuf field walk does; record types must be found behind record
numbers of any varint size; keys whose hashes share a 16-bit bucket must still be told apart.
"""

from __future__ import annotations

import random

import attrs
import numpy as np
import pytest

from runwise.adapters.sources.wandb_local import proto
from runwise.adapters.sources.wandb_local.history_items import history_items
from runwise.adapters.sources.wandb_local.items import items
from runwise.adapters.sources.wandb_local.keys import _MULTIPLIERS, _sort_by_hash
from runwise.adapters.sources.wandb_local.records import HISTORY, SUMMARY, _classify_general, _classify_words, classify
from runwise.adapters.sources.wandb_local.wire import fields

PAD = 300  # the reader's buffers keep zero bytes after the data


def _history_record(rng: random.Random) -> bytes:
    record = proto.message("HistoryRecord")()
    for _ in range(rng.randint(0, 12)):
        item = record.item.add()
        key = "k" * rng.choice([1, 5, 19, 20, 22, 23, 40, 130])
        layout = rng.random()
        if layout < 0.7:
            item.nested_key.append(key)  # what wandb-core writes
        elif layout < 0.8:
            item.key = key  # what older clients write
        else:
            item.nested_key.extend([key, "inner"])
        kind = rng.random()
        if kind < 0.8:
            item.value_json = repr(rng.random()) * rng.choice([1, 1, 1, 10])  # 10x: past a one-byte length
        elif kind < 0.9:
            item.number = 1.5
    if rng.random() < 0.8:
        record.step.num = rng.choice([0, 1, 300, 2**40])
    raw = record.SerializeToString()
    if raw and rng.random() < 0.05:
        raw = raw[: rng.randrange(len(raw))]  # cut short
    if rng.random() < 0.05:
        raw += b"\x18\x05"  # a field the reader does not know, after the step
    return raw


def _spans(payloads: list[bytes], rng: random.Random) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    buf = bytearray()
    starts, ends = [], []
    for payload in payloads:
        buf += bytes(rng.randint(0, 5))
        starts.append(len(buf))
        buf += payload
        ends.append(len(buf))
    u = np.frombuffer(bytes(buf + bytes(PAD)), np.uint8)
    return u, np.array(starts, np.int64), np.array(ends, np.int64)


def _usual_record(rng: random.Random, keys: int) -> bytes:
    """What wandb-core writes at every step: the same number of items, in the usual layout, and a step."""
    record = proto.message("HistoryRecord")()
    for k in range(keys):
        record.item.add(nested_key=[f"metric{k}"], value_json=repr(rng.random()))
    record.step.num = rng.randrange(10**6)
    return bytes(record.SerializeToString())


@pytest.mark.parametrize("usual", [False, True])
def test_history_walk_splits_records_like_the_general_field_walk(usual: bool) -> None:
    rng = random.Random(5)
    for _ in range(150):
        keys, count = rng.randint(1, 12), rng.randint(0, 40)
        records = [_usual_record(rng, keys) if usual else _history_record(rng) for _ in range(count)]
        u, starts, ends = _spans(records, rng)
        general = fields(u, starts, ends)
        whole = ~general.broken[general.owner] & (general.wire == 2)
        item, step = whole & (general.number == 1), whole & (general.number == 2)
        want = items(u, general.start[item], general.end[item])

        got = history_items(u, starts, ends)

        np.testing.assert_array_equal(got.owner, general.owner[item])
        for name, mine, theirs in zip(
            attrs.fields_dict(type(want)), attrs.astuple(got.items, recurse=False), attrs.astuple(want, recurse=False)
        ):
            np.testing.assert_array_equal(mine, theirs, err_msg=name)
        item_bytes = np.bincount(
            general.owner[item], weights=general.end[item] - general.head[item], minlength=starts.size
        )
        np.testing.assert_array_equal(got.item_bytes, item_bytes.astype(np.int64))
        np.testing.assert_array_equal(got.broken, general.broken)
        order = np.argsort(got.step_owner, kind="stable")
        np.testing.assert_array_equal(got.step_owner[order], general.owner[step])
        np.testing.assert_array_equal(got.step_start[order], general.start[step])
        np.testing.assert_array_equal(got.step_end[order], general.end[step])


def test_record_types_behind_numbers_of_every_varint_size() -> None:
    rng = random.Random(11)
    record = proto.message("Record")
    nums = [0, 1, 127, 128, 300_000, 2**28, 2**35 - 1]  # five varint bytes at most, as in `wire.MAX_VARINT`
    payloads, want = [], []
    for num in nums:
        history = record(num=num)
        history.history.step.num = 7
        summary = record(num=num)
        summary.summary.update.add(key="loss", value_json="0.5")
        payloads += [history.SerializeToString(), summary.SerializeToString()]
        want += [HISTORY, SUMMARY]
    payloads += [record(num=2**35).SerializeToString(), b"\x08" + b"\xff" * 9]  # too long; never ends
    want += [-1, -1]
    u, starts, ends = _spans(payloads, rng)

    kinds = classify(u, starts, ends)

    assert kinds.field.tolist() == want
    for i, payload in enumerate(payloads[:-2]):
        parsed = record.FromString(payload)
        inner = (parsed.history if parsed.HasField("history") else parsed.summary).SerializeToString()
        assert u[kinds.start[i] : kinds.end[i]].tobytes() == inner


def test_keys_whose_hashes_share_a_bucket_stay_apart() -> None:
    multiplier = np.uint64(_MULTIPLIERS[0])
    first = np.array([0x1234_5678_9ABC_DEF1], np.uint64)
    bucket = (first * multiplier) >> np.uint64(48)  # arrays: uint64 products wrap around without a warning
    rng = np.random.default_rng(3)
    candidates = rng.integers(0, 2**63, 200_000, dtype=np.uint64)
    same = candidates[((candidates * multiplier) >> np.uint64(48)) == bucket]
    assert same.size, "no colliding hash found"
    second = same[0]
    hashes = np.array([first[0], second, first[0], 5, second, first[0]], np.uint64)

    order, grouped = _sort_by_hash(hashes)

    runs = np.split(order, np.flatnonzero(grouped[1:] != grouped[:-1]) + 1)
    assert sorted(run.tolist() for run in runs) == [[0, 2, 5], [1, 4], [3]]


def test_record_types_read_from_one_word_match_the_byte_by_byte_reading() -> None:
    """`classify` reads the usual record from its first 8 bytes; every record must come out as the byte-by-byte
    reading says: record numbers of every varint size, one- and two-byte tags and lengths, cut and garbled ones."""
    rng = random.Random(17)
    record = proto.message("Record")
    payloads = []
    for _ in range(3000):
        r = record(num=rng.choice([0, 1, 100, 200, 20_000, 3_000_000, 2**28 + 5, 2**34]))
        kind = rng.randrange(5)
        if kind == 0:
            r.history.step.num = rng.randrange(1000)
            for _ in range(rng.choice([0, 1, 3, 40, 600])):
                r.history.item.add(key="k", value_json="1.25")
        elif kind == 1:
            r.summary.update.add(key="loss", value_json="0.5" * rng.choice([1, 60, 3000]))
        elif kind == 2:
            r.run.run_id = "abc" * rng.choice([1, 100])  # a two-byte tag (field 17)
        elif kind == 3:
            r.output_raw.line = "x" * rng.choice([0, 5, 200])
        raw = r.SerializeToString()
        if raw and rng.random() < 0.1:
            raw = raw[: rng.randrange(len(raw))]
        if rng.random() < 0.05:
            raw = bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
        payloads.append(raw)
    u, starts, ends = _spans(payloads, rng)

    got = _classify_words(u, starts, ends)

    want = _classify_general(u, starts, ends)
    sure = want[0] > 0  # the span of a damaged or empty record is read by no one
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1][sure], want[1][sure])
    np.testing.assert_array_equal(got[2][sure], want[2][sure])
