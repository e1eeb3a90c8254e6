"""A run's meta chunk: its params, end time, contexts and the list of traces it logged."""

from __future__ import annotations

from typing import Any

import attrs

from runwise.adapters.sources.aim.encoding import build_tree, decode_path, decode_value, encode_path
from runwise.adapters.sources.aim.repo import AimRun
from runwise.adapters.sources.aim.rocks import Chunk
from runwise.domain.shared_repr import fields_repr

NUMERIC_DTYPES = frozenset({"float", "int"})  # metrics; images, texts, distributions are other sequence types


@attrs.frozen
class Trace:
    """One (name, context) series a run tracked, with what the meta chunk says about it."""

    __repr__ = fields_repr

    name: str
    context_id: int
    context: dict[str, Any]
    dtype: str | None
    first_step: int | None
    last_step: int | None
    last: float | None


@attrs.frozen
class RunMeta:
    """The decoded meta chunk of one run."""

    __repr__ = fields_repr

    params: dict[str, Any]
    end_time: float | None
    traces: tuple[Trace, ...]

    @property
    def metric_traces(self) -> tuple[Trace, ...]:
        return tuple(t for t in self.traces if t.dtype is None or t.dtype in NUMERIC_DTYPES)

    @property
    def last_step(self) -> int | None:
        steps = [t.last_step for t in self.metric_traces if t.last_step is not None]
        return max(steps) if steps else None


def read_meta(run: AimRun) -> RunMeta:
    """Decode the run's subtree `meta/chunks/<hash>/...` of its meta chunk."""
    prefix = encode_path("meta", "chunks", run.hash)
    chunk = Chunk(run.meta_chunk)
    try:
        items = [(decode_path(key[len(prefix) :]), decode_value(value)) for key, value in chunk.items(prefix)]
    finally:
        chunk.close()
    tree = build_tree(items)
    contexts = tree.get("contexts") or {}
    traces = []
    for context_id, by_name in (tree.get("traces") or {}).items():
        if not isinstance(context_id, int) or not isinstance(by_name, dict):
            continue
        context = contexts.get(context_id)
        for name, info in by_name.items():
            if not isinstance(info, dict):
                continue
            traces.append(
                Trace(
                    name=str(name),
                    context_id=context_id,
                    context=dict(context) if isinstance(context, dict) else {},
                    dtype=info.get("dtype") if isinstance(info.get("dtype"), str) else None,
                    first_step=_int(info.get("first_step")),
                    last_step=_int(info.get("last_step")),
                    last=_float(info.get("last")),
                )
            )
    attrs_tree = tree.get("attrs")
    end = tree.get("end_time")
    return RunMeta(
        params=dict(attrs_tree) if isinstance(attrs_tree, dict) else {},
        end_time=float(end) if isinstance(end, (int, float)) and not isinstance(end, bool) else None,
        traces=tuple(traces),
    )


def config_of(params: dict[str, Any]) -> dict[str, Any]:
    """The run's config: Aim's `hparams` convention lifted to the top, Aim's own bookkeeping left out."""
    config = {k: v for k, v in params.items() if not (isinstance(k, str) and k.startswith("__"))}
    hparams = config.pop("hparams", None)
    if isinstance(hparams, dict):
        return {**config, **hparams}
    if hparams is not None:
        config["hparams"] = hparams
    return config


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
