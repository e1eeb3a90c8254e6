"""The bulk decoder of neptune-scale appended points agrees with protobuf entry by entry, whatever the entry.

The real client's runs are read in test_neptune_source.py and the contract suite; here entries of
every shape the bulk path must hand over (int64 values, strings, keys of 128 bytes and more,
damaged bytes) are built with the same message declarations and mixed with plain doubles.
"""

from __future__ import annotations

import math

import numpy as np

from runwise.adapters.sources.neptune.scale_points import decode_entries
from runwise.adapters.sources.neptune.scale_proto import message

LONG_KEY = "train/" + "x" * 130


def _entry(key: str, **value: object) -> bytes:
    entry = message("Entry")(key=key)
    for field, number in value.items():
        setattr(entry.value, field, number)
    return bytes(entry.SerializeToString())


def test_every_entry_shape_decodes_as_protobuf_does() -> None:
    doubles = [0.1 + 0.2, -0.0, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308]
    snapshots = [
        [_entry("train/loss", float64=v), _entry("train/acc", float64=v / 2), _entry("layer_01/grad", float64=1.0)]
        for v in doubles
    ]
    snapshots.append([_entry("layer_02/grad", float64=2.0), _entry("count", int64=7), _entry("note", string="hi")])
    snapshots.append([_entry(LONG_KEY, float64=3.5), b"\x0a\xff garbage", _entry("train/loss", float64=9.0)])
    got = decode_entries([e for snap in snapshots for e in snap], [len(snap) for snap in snapshots])
    by_key: dict[str, list[tuple[int, float]]] = {}
    for code, value, row in zip(got.code.tolist(), got.value.tolist(), got.row.tolist()):
        by_key.setdefault(got.keys[code], []).append((row, value))
    assert set(by_key) == {"train/loss", "train/acc", "layer_01/grad", "layer_02/grad", "count", LONG_KEY}
    loss = by_key["train/loss"]
    assert [row for row, _ in loss] == [0, 1, 2, 3, 4, 5, 6, 8]
    expected = [*doubles, 9.0]
    assert np.array([v for _, v in loss]).view(np.int64).tolist() == np.array(expected).view(np.int64).tolist()
    assert by_key["count"] == [(7, 7.0)] and by_key[LONG_KEY] == [(8, 3.5)]
    assert by_key["layer_02/grad"] == [(7, 2.0)] and len(by_key["layer_01/grad"]) == len(doubles)
