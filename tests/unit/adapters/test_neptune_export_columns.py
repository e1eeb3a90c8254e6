"""Export columns reach numpy through their Arrow buffers (no pandas import): nulls, slices and chunks kept right."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from runwise.adapters.sources.neptune.export import _numbers


def test_numeric_columns_come_out_whole_with_nulls_offsets_and_chunks() -> None:
    column = pa.chunked_array([pa.array([1.5, None, 3.0]), pa.array([4.0, 5.0, None, 6.0]).slice(1)])
    got = _numbers(column, np.float64)
    assert np.array_equal(got, [1.5, np.nan, 3.0, 5.0, np.nan, 6.0], equal_nan=True)
    assert _numbers(pa.array([7, None, 9], type=pa.int32()).slice(1), np.int64).tolist() == [0, 9]
    assert _numbers(pa.array([2**40, -3], type=pa.int64()), np.int64).tolist() == [2**40, -3]
    assert _numbers(pa.array([0.25], type=pa.float32()), np.float64).tolist() == [0.25]
