"""neptune-exporter Parquet: `<data path>/<project dir>/<run id>_part_<n>.parquet`, one run per file set.

Columns (neptune-exporter's `model.SCHEMA`, as its README documents): `project_id`, `run_id`,
`attribute_path`, `attribute_type` (float, int, string, bool, datetime, string_set, float_series,
string_series, histogram_series, file, file_series), `step` decimal(18,6), `timestamp`
timestamp(ms, UTC), and typed value columns `int_value`, `float_value`, `string_value`,
`bool_value`, `datetime_value`, `string_set_value`, `file_value`, `histogram_value`. Float series
are the metrics; parameters are attributes (sys/* give name, tags, state and times, the rest the
config). The exporter names a run complete once `part_0.parquet` exists (it renames part 0 last);
parts still ending in `.tmp` are an unfinished export. Read with pyarrow (extra `neptune`): only
the needed columns, values straight into numpy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from runwise.adapters.sources.neptune.record import NeptuneRun, config_from, metric_key
from runwise.domain.errors import InvalidInput, MissingExtra
from runwise.domain.model import MetricSeries, RunState, sorted_series

PART = re.compile(r"^(?:(?P<run>.+?)_)?part_(?P<n>\d+)\.parquet$")
COLUMNS = ["run_id", "project_id", "attribute_path", "attribute_type", "step", "timestamp"]
VALUES = ["int_value", "float_value", "string_value", "bool_value", "datetime_value", "string_set_value"]
PARAMETER_TYPES = {"float": "float_value", "int": "int_value", "string": "string_value", "bool": "bool_value",
                   "datetime": "datetime_value", "string_set": "string_set_value"}  # fmt: skip


def _pyarrow() -> tuple[Any, Any, Any]:
    try:
        import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.compute as pc  # type: ignore[import-untyped,unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise MissingExtra("pyarrow", "neptune", "reading neptune-exporter Parquet files") from exc
    return pa, pc, pq


def group_parts(folder: Path, files: Sequence[str]) -> dict[str, list[Path]]:
    """Parquet parts by run file prefix, in part order; only runs whose part 0 exists (a finished export)."""
    groups: dict[str, list[tuple[int, Path]]] = {}
    for name in files:
        match = PART.match(name)
        if match:
            run = match.group("run") or folder.name
            groups.setdefault(run, []).append((int(match.group("n")), folder / name))
    return {run: [p for _, p in sorted(parts)] for run, parts in groups.items() if any(n == 0 for n, _ in parts)}


def read_export(parts: list[Path]) -> NeptuneRun:
    """Read every part of one exported run."""
    pa, pc, pq = _pyarrow()
    tables = []
    warnings: list[str] = []
    for part in parts:
        try:
            # ParquetFile, not read_table (which goes through pyarrow.dataset). Below, no Python value is
            # turned into an Arrow one and no column goes through to_numpy: pyarrow imports pandas on the
            # first of either, a third of a second of the whole process when pandas is installed.
            file = pq.ParquetFile(part)
            columns = [c for c in COLUMNS + VALUES if c in file.schema_arrow.names]
            tables.append(file.read(columns=columns))
        except (OSError, pa.ArrowException) as exc:
            warnings.append(f"{part.name}: unreadable ({str(exc).splitlines()[0][:120]})")
    if not tables:
        raise InvalidInput(f"no readable Parquet part in {parts[0].parent}", "re-export the run with neptune-exporter")
    table = pa.concat_tables(tables, promote_options="permissive")
    missing = [c for c in ("run_id", "attribute_path", "attribute_type") if c not in table.column_names]
    if missing:
        raise InvalidInput(
            f"{parts[0].name} is not a neptune-exporter file (no {', '.join(missing)} column)",
            "point Runwise at the exporter's --data-path",
        )
    kinds = table.column("attribute_type")
    present = pc.unique(kinds)  # the kinds as Arrow values: compared without converting a Python string
    names = present.to_pylist()
    run_ids = table.column("run_id").unique().to_pylist()
    run_id = str(run_ids[0]) if run_ids else parts[0].parent.name
    projects = table.column("project_id").unique().to_pylist() if "project_id" in table.column_names else []
    series: dict[str, MetricSeries] = {}
    if "float_series" in names:
        is_series = pc.equal(kinds, present[names.index("float_series")])
        series = _series(table if len(names) == 1 else table.filter(is_series), pc, warnings)
    attributes: dict[str, Any] = {}
    if any(name in PARAMETER_TYPES for name in names):
        attributes = _parameters(table.filter(pc.is_in(kinds, pa.array(list(PARAMETER_TYPES)))))
    tags = attributes.get("sys/tags")
    name = attributes.get("sys/name") or attributes.get("sys/custom_run_id") or run_id
    created = _seconds(attributes.get("sys/creation_time"))
    updated = _seconds(attributes.get("sys/modification_time")) or _seconds(attributes.get("sys/ping_time"))
    if updated is None:
        ends = [float(s.wall_time[-1]) for s in series.values() if s.wall_time is not None and s.wall_time.size]
        updated = max(ends) if ends else created
    return NeptuneRun(
        id=run_id,
        name=str(name),
        form="export",
        project=str(projects[0]) if projects else None,
        state=_state(attributes),
        created_at=created,
        updated_at=updated,
        tags=tuple(sorted(str(t) for t in tags)) if isinstance(tags, list) else (),
        notes=attributes.get("sys/description") or None,
        config=config_from(attributes),
        series=series,
        warnings=tuple(warnings),
        path=str(parts[0].resolve()),
    )


def _series(table: Any, pc: Any, warnings: list[str]) -> dict[str, MetricSeries]:
    if table.num_rows == 0:
        return {}
    paths = table.column("attribute_path").combine_chunks().dictionary_encode()
    codes = _numbers(paths.indices, np.int64)
    names = paths.dictionary.to_pylist()
    steps = _numbers(pc.cast(table.column("step"), "float64"), np.float64)
    values = _numbers(pc.cast(table.column("float_value"), "float64"), np.float64)
    if "timestamp" in table.column_names:
        stamps = pc.cast(pc.cast(table.column("timestamp"), "timestamp[ms]"), "int64")
        walls = _numbers(stamps, np.float64) / 1000.0
    else:
        walls = np.full(steps.size, np.nan)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    out = {}
    for index, attr in enumerate(names):
        rows = order[bounds[index] : bounds[index + 1]]
        key = metric_key(str(attr))
        step = steps[rows]
        step = np.where(np.isnan(step), np.arange(step.size, dtype=np.float64), step)
        whole = np.floor(step)
        if not np.array_equal(whole, step):
            warnings.append(f"{key}: fractional steps rounded down to whole steps")
        out[key] = sorted_series(key, whole.astype(np.int64), values[rows], walls[rows])
    return out


def _numbers(column: Any, dtype: type) -> NDArray[Any]:
    """A numeric Arrow column as numpy, read from its buffers; nulls become NaN (or 0 for integers)."""
    chunks = column.chunks if hasattr(column, "chunks") else [column]
    out = []
    for chunk in chunks:
        width = chunk.type.bit_width // 8
        kind = "f" if str(chunk.type) in ("float", "double") else "i"
        raw = np.frombuffer(chunk.buffers()[1], dtype=f"<{kind}{width}")
        part: NDArray[Any] = raw[chunk.offset : chunk.offset + len(chunk)].astype(dtype)
        if chunk.null_count:
            valid = np.unpackbits(np.frombuffer(chunk.buffers()[0], dtype=np.uint8), bitorder="little")
            part[~valid[chunk.offset : chunk.offset + len(chunk)].astype(bool)] = np.nan if dtype is np.float64 else 0
        out.append(part)
    return np.concatenate(out) if out else np.zeros(0, dtype=dtype)


def _parameters(table: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if table.num_rows == 0:
        return out
    rows = table.to_pylist()
    for row in rows:
        column = PARAMETER_TYPES.get(str(row.get("attribute_type")))
        if column is None:
            continue
        value = row.get(column)
        if hasattr(value, "timestamp"):
            value = value.timestamp()
        out[str(row["attribute_path"])] = value
    return out


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _state(attributes: dict[str, Any]) -> RunState:
    if attributes.get("sys/failed") is True:
        return "crashed"
    state = str(attributes.get("sys/state") or "").lower()
    if state in {"inactive", "idle", "finished"}:
        return "finished"
    if state in {"active", "running"}:
        return "unknown"  # active when exported; the service is gone, so it never finished there
    return "unknown"
